// The call page's side of the demo signaling relay (/signal): join a room as caller or callee,
// pass `signal` payloads both ways, and come back after the relay restarts.

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
/** After a restart the old seat may still look taken until the relay notices the dead socket. */
const RESUME_GIVE_UP_MS = 45_000;

/**
 * Events (`addEventListener`): `joined` { peerPresent }, `peer` { present }, `signal` (detail is
 * the payload), `status` { state: 'connecting' | 'open' | 'reconnecting', attempt?, delayMs? },
 * `fatal` { code, message }.
 */
export class SignalingClient extends EventTarget {
  constructor(room, role) {
    super();
    this.room = room;
    this.role = role;
    this.socket = null;
    this.everJoined = false;
    this.attempt = 0;
    this.stopped = false;
    this.lostAt = null;
    this.retryTimer = null;
  }

  get joined() {
    return this.socket?.readyState === WebSocket.OPEN && this.isJoined === true;
  }

  connect() {
    this.stopped = false;
    this.isJoined = false;
    const url = new URL('/signal', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.socket = socket;
    this.emit('status', {
      state: this.everJoined ? 'reconnecting' : 'connecting',
      attempt: this.attempt,
    });
    socket.addEventListener('open', () => {
      // `resume` re-creates the room if the relay restarted and forgot it; a first join must
      // not, or a mistyped link would silently open an empty room.
      const join = { type: 'join', room: this.room, role: this.role };
      socket.send(JSON.stringify(this.everJoined ? { ...join, resume: true } : join));
    });
    socket.addEventListener('message', (event) => this.onFrame(event.data));
    socket.addEventListener('close', () => this.onClose(socket));
  }

  /** Relays `payload` to the other peer; returns false when the relay is not reachable now. */
  send(payload) {
    if (!this.joined) return false;
    this.socket.send(JSON.stringify({ type: 'signal', payload }));
    return true;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'leaving');
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  onFrame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    switch (frame?.type) {
      case 'joined':
        this.isJoined = true;
        this.everJoined = true;
        this.attempt = 0;
        this.lostAt = null;
        this.emit('status', { state: 'open' });
        this.emit('joined', { peerPresent: frame.peerPresent });
        return;
      case 'peer-joined':
        this.emit('peer', { present: true });
        return;
      case 'peer-left':
        this.emit('peer', { present: false });
        return;
      case 'signal':
        this.emit('signal', frame.payload);
        return;
      case 'error':
        if (!frame.fatal) return;
        if (
          frame.code === 'role-taken' &&
          this.everJoined &&
          Date.now() - this.lostAt < RESUME_GIVE_UP_MS
        ) {
          return; // our old seat; the relay frees it when it notices. The close retries.
        }
        this.stopped = true;
        this.emit('fatal', { code: frame.code, message: frame.message });
        return;
    }
  }

  onClose(socket) {
    if (socket !== this.socket) return;
    this.isJoined = false;
    if (this.stopped) return;
    this.lostAt ??= Date.now();
    const delayMs =
      BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] * (0.75 + Math.random() / 2);
    this.attempt += 1;
    this.emit('status', { state: 'reconnecting', attempt: this.attempt, delayMs });
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }
}
