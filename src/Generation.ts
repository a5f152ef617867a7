import { EventEmitter } from 'eventemitter3';
import { normalizeStats, type TransportSecurity } from './monitor/normalizeStats.js';
import type { Platform } from './platform.js';

/** Longest wait for one getStats(): both browsers answer within milliseconds on loopback. */
const STATS_TIMEOUT_MS = 5_000;

/**
 * - `negotiating`: offer/answer under way.
 * - `connected`: ICE and DTLS are up (keys exist), media not yet seen.
 * - `flowing`: audio RTP has arrived (or the peer sends none): safe to switch playout to it.
 */
export type GenerationState = 'new' | 'negotiating' | 'connected' | 'flowing' | 'failed' | 'closed';

const NEXT: Record<GenerationState, readonly GenerationState[]> = {
  new: ['negotiating', 'failed', 'closed'],
  negotiating: ['connected', 'failed', 'closed'],
  connected: ['flowing', 'failed', 'closed'],
  flowing: ['failed', 'closed'],
  failed: ['closed'],
  closed: [],
};

export interface GenerationEvents {
  state: (state: GenerationState) => void;
  track: (track: MediaStreamTrack) => void;
}

export interface GenerationOptions {
  number: number;
  attempt: string;
  isOfferer: boolean;
  rtcConfiguration: RTCConfiguration | undefined;
  localStream: MediaStream | undefined;
  /** Longest wait for ICE gathering before sending what was gathered. */
  gatherTimeoutMs: number;
  /** Poll interval while waiting for the first audio packets. */
  flowPollMs: number;
}

/**
 * One generation of the call: one RTCPeerConnection, hence one DTLS handshake and one set of
 * SRTP keys. Candidates travel inside the SDP (gathering completes before the offer or answer is
 * sent), so signaling is two messages that can simply be resent when lost.
 */
export class Generation extends EventEmitter<GenerationEvents> {
  readonly number: number;
  readonly attempt: string;
  readonly isOfferer: boolean;
  readonly createdAt: number;
  connectedAt: number | null = null;
  flowingAt: number | null = null;
  private _state: GenerationState = 'new';
  private readonly pc: RTCPeerConnection;
  private pollTimer: unknown = null;
  private readonly detachers: Array<() => void> = [];
  /** Rejects on close(): Firefox never settles a getStats() that close() interrupts. */
  private readonly closed: Promise<never>;
  private markClosed!: (reason: Error) => void;

  constructor(
    private readonly platform: Platform,
    private readonly options: GenerationOptions,
  ) {
    super();
    this.closed = new Promise<never>((_, reject) => (this.markClosed = reject));
    this.closed.catch(() => undefined);
    this.number = options.number;
    this.attempt = options.attempt;
    this.isOfferer = options.isOfferer;
    this.createdAt = platform.now();
    this.pc = new platform.RTCPeerConnection(options.rtcConfiguration);
    this.listen(this.pc, 'connectionstatechange', () => this.onConnectionState());
    this.listen(this.pc, 'track', (event) => this.emit('track', (event as RTCTrackEvent).track));
  }

  get state(): GenerationState {
    return this._state;
  }

  /** The RTCPeerConnection's own state, for diagnostics and tests. */
  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Offerer: adds the local tracks and returns a complete offer (candidates included). */
  async createOffer(): Promise<string> {
    this.setState('negotiating');
    const stream = this.options.localStream;
    const tracks = stream?.getTracks() ?? [];
    for (const track of tracks) {
      this.pc.addTransceiver(track, { direction: 'sendrecv', streams: stream ? [stream] : [] });
    }
    if (!tracks.some((t) => t.kind === 'audio'))
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
    await this.pc.setLocalDescription();
    return this.completeLocalDescription();
  }

  /** Answerer: applies the offer, puts the local tracks on the offered transceivers, answers. */
  async acceptOffer(sdp: string): Promise<string> {
    this.setState('negotiating');
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    const stream = this.options.localStream;
    const free = this.pc.getTransceivers().filter((t) => !t.sender.track);
    for (const track of stream?.getTracks() ?? []) {
      const transceiver = free.find((t) => t.receiver.track.kind === track.kind);
      if (!transceiver) continue;
      free.splice(free.indexOf(transceiver), 1);
      await transceiver.sender.replaceTrack(track);
      if (stream) transceiver.sender.setStreams?.(stream);
      transceiver.direction = 'sendrecv';
    }
    await this.pc.setLocalDescription();
    return this.completeLocalDescription();
  }

  /** Offerer: applies the answer. */
  async acceptAnswer(sdp: string): Promise<void> {
    if (this.pc.signalingState !== 'have-local-offer') return;
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /**
   * Reads and normalises this connection's stats; rejects if the connection closes first, or
   * after {@link STATS_TIMEOUT_MS} (a read that never settles would stop every later one).
   */
  async readSecurity(): Promise<TransportSecurity> {
    let timer: unknown;
    const late = new Promise<never>((_, reject) => {
      timer = this.platform.setTimeout(
        () => reject(new Error('getStats() timed out')),
        STATS_TIMEOUT_MS,
      );
    });
    try {
      const report = await Promise.race([this.pc.getStats(), this.closed, late]);
      return normalizeStats(report as unknown as Iterable<never>, {
        local: this.pc.localDescription?.sdp,
        remote: this.pc.remoteDescription?.sdp,
      });
    } finally {
      this.platform.clearTimeout(timer);
    }
  }

  /** Idempotent: closes the peer connection, stops polling, detaches every listener. */
  close(): void {
    if (this._state === 'closed') return;
    this.stopPolling();
    for (const detach of this.detachers.splice(0)) detach();
    this.pc.close();
    this.markClosed(new Error('connection closed'));
    this.setState('closed');
    this.removeAllListeners();
  }

  private async completeLocalDescription(): Promise<string> {
    await this.waitForGathering();
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local description after negotiation');
    return sdp;
  }

  private waitForGathering(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      let timer: unknown = null;
      const done = () => {
        this.platform.clearTimeout(timer);
        this.pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      const check = () => {
        if (this.pc.iceGatheringState === 'complete' || this._state === 'closed') done();
      };
      // With STUN/TURN servers gathering can take seconds; after the timeout the candidates
      // found so far (already in localDescription) go out, which is enough to connect.
      timer = this.platform.setTimeout(done, this.options.gatherTimeoutMs);
      this.pc.addEventListener('icegatheringstatechange', check);
    });
  }

  private onConnectionState(): void {
    const state = this.pc.connectionState;
    if (state === 'connected' && this._state === 'negotiating') {
      this.connectedAt = this.platform.now();
      this.setState('connected');
      this.pollForMedia();
    } else if (state === 'failed' && this._state !== 'closed' && this._state !== 'failed') {
      this.stopPolling();
      this.setState('failed');
    }
  }

  /** The peer sends audio if its description has an audio section that sends. */
  private remoteSendsAudio(): boolean {
    const sdp = this.pc.remoteDescription?.sdp ?? '';
    return sdp
      .split(/^m=/m)
      .some(
        (section) => section.startsWith('audio') && /^a=(sendrecv|sendonly)\s*$/m.test(section),
      );
  }

  private pollForMedia(): void {
    if (!this.remoteSendsAudio()) {
      this.markFlowing();
      return;
    }
    const poll = async () => {
      this.pollTimer = null;
      if (this._state !== 'connected') return;
      try {
        const security = await this.readSecurity();
        if (security.audioPacketsReceived > 0) {
          this.markFlowing();
          return;
        }
      } catch {
        // getStats on a connection closing under us: the state check below ends the loop.
      }
      if (this._state === 'connected')
        this.pollTimer = this.platform.setTimeout(() => void poll(), this.options.flowPollMs);
    };
    void poll();
  }

  private markFlowing(): void {
    if (this._state !== 'connected') return;
    this.flowingAt = this.platform.now();
    this.setState('flowing');
  }

  private stopPolling(): void {
    if (this.pollTimer !== null) this.platform.clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private setState(next: GenerationState): void {
    if (next === this._state) return;
    if (!NEXT[this._state].includes(next)) return;
    this._state = next;
    this.emit('state', next);
  }

  private listen(target: EventTarget, type: string, listener: (event: Event) => void): void {
    target.addEventListener(type, listener);
    this.detachers.push(() => target.removeEventListener(type, listener));
  }
}
