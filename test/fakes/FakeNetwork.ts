import { FakeMediaStream, FakeMediaStreamTrack } from './FakeMediaStream.js';

/**
 * A pretend network for {@link FakePeerConnection}s. Two fake connections whose offer and answer
 * match (each side's remote description is the other's local one, candidates included) connect
 * after `connectDelayMs`; their getStats() then look like the real reports in
 * /work/shared/fixtures/getstats/ (Chromium or Firefox shape, by engine).
 *
 * Everything runs on the global timers and Date.now(), so `vi.useFakeTimers()` drives it.
 */
export interface SecurityParams {
  tlsVersion: string;
  dtlsCipher: string;
  srtpCipher: string;
}

export type Engine = 'chrome' | 'firefox';

/** DTLS server picks the SRTP profile: Firefox GCM, Chromium AES_CM (FACTS.md). */
const SRTP_BY_SERVER: Record<Engine, string> = {
  chrome: 'SRTP_AES128_CM_HMAC_SHA1_80',
  firefox: 'SRTP_AEAD_AES_128_GCM',
};

export class FakeNetwork {
  /** ICE+DTLS time from matching descriptions to `connected`. */
  connectDelayMs = 30;
  /** Time from setLocalDescription to iceGatheringState `complete`; Infinity = never. */
  gatherDelayMs = 5;
  /** First audio packet arrives this long after `connected`. */
  mediaStartDelayMs = 20;
  /** One audio packet every 20 ms, this big (bytes). */
  bytesPerPacket = 100;
  /** When false, newly matched pairs stay `connecting` (a path that does not work). */
  connectable: (a: FakePeerConnection, b: FakePeerConnection) => boolean = () => true;
  /** When false for a pair, it connects but no RTP arrives (connected, never flowing). */
  mediaFlows: (receiver: FakePeerConnection) => boolean = () => true;
  /** Overrides of the negotiated security, per connection (e.g. DTLS 1.0 for a policy test). */
  security: (pc: FakePeerConnection) => Partial<SecurityParams> | null = () => null;
  /** When a connection closes, its connected peer goes `failed` (DTLS close_notify / consent loss). */
  peerCloseFails = false;
  /** getStats() takes this long to answer. */
  statsDelayMs = 0;
  /**
   * Firefox ESR 153: a getStats() still pending when close() is called never settles (measured:
   * close() right after getStats(), 3 of 5 stayed pending for good; Chromium resolves them all).
   */
  closeStrandsStats = false;
  /** While true, getStats() calls never settle, on any connection (not seen in a browser yet). */
  hangStats = false;

  private readonly all = new Map<string, FakePeerConnection>();
  private counter = 0;

  /** The RTCPeerConnection constructor one side's platform gets. */
  peerConnectionClass(
    engine: Engine,
    label: string,
  ): new (config?: RTCConfiguration) => RTCPeerConnection {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const network = this;
    return class extends FakePeerConnection {
      constructor(config?: RTCConfiguration) {
        super(network, engine, label, config);
      }
    } as unknown as new (config?: RTCConfiguration) => RTCPeerConnection;
  }

  /** @internal */
  register(pc: FakePeerConnection): string {
    const id = `pc${++this.counter}`;
    this.all.set(id, pc);
    return id;
  }

  /** @internal */
  lookup(id: string | null): FakePeerConnection | undefined {
    return id ? this.all.get(id) : undefined;
  }

  /** Every connection made so far, oldest first. */
  connections(label?: string): FakePeerConnection[] {
    return [...this.all.values()].filter((pc) => label === undefined || pc.label === label);
  }

  /** Connections of one side that are not closed. */
  open(label: string): FakePeerConnection[] {
    return this.connections(label).filter((pc) => pc.connectionState !== 'closed');
  }

  /** @internal Called whenever a description changes. */
  maybeConnect(pc: FakePeerConnection): void {
    const peer = this.lookup(pc.peerId);
    if (!peer || peer.peerId !== pc.id) return;
    if (!pc.negotiatedWith(peer) || !peer.negotiatedWith(pc)) return;
    if (pc.connectionState !== 'new' || peer.connectionState !== 'new') return;
    pc.setConnectionState('connecting');
    peer.setConnectionState('connecting');
    if (!this.connectable(pc, peer)) return;
    // Kept on both so that close() clears it: a fake must not leave timers the SDK would be blamed for.
    pc.connectTimer = peer.connectTimer = setTimeout(() => {
      pc.connectTimer = peer.connectTimer = null;
      if (pc.connectionState !== 'connecting' || peer.connectionState !== 'connecting') return;
      const now = Date.now();
      pc.connectedAt = peer.connectedAt = now;
      pc.setConnectionState('connected');
      peer.setConnectionState('connected');
    }, this.connectDelayMs);
  }

  /** @internal */
  securityOf(pc: FakePeerConnection): SecurityParams {
    const server = pc.dtlsRole === 'server' ? pc : this.lookup(pc.peerId);
    const engine = server?.engine ?? pc.engine;
    return {
      tlsVersion: 'FEFC',
      dtlsCipher: 'TLS_AES_128_GCM_SHA256',
      srtpCipher: SRTP_BY_SERVER[engine],
      ...(this.security(pc) ?? {}),
    };
  }
}

interface FakeSender {
  track: FakeMediaStreamTrack | null;
  replaceTrack(track: FakeMediaStreamTrack | null): Promise<void>;
  setStreams(...streams: FakeMediaStream[]): void;
}

interface FakeTransceiver {
  mid: string;
  direction: RTCRtpTransceiverDirection;
  currentDirection: RTCRtpTransceiverDirection | null;
  sender: FakeSender;
  receiver: { track: FakeMediaStreamTrack };
  /** @internal the m-section of the remote description, once known */
  remoteDirection: RTCRtpTransceiverDirection | null;
  firedTrack: boolean;
}

const sends = (d: string | null) => d === 'sendrecv' || d === 'sendonly';
const receives = (d: string | null) => d === 'sendrecv' || d === 'recvonly';

function answerDirection(
  offered: string | null,
  local: RTCRtpTransceiverDirection,
): RTCRtpTransceiverDirection {
  const send = sends(local) && receives(offered);
  const recv = receives(local) && sends(offered);
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

/** Hex pairs made from a counter: unique per connection, stable per run. */
function fingerprintFor(serial: number): string {
  const pairs: string[] = [];
  let x = (serial * 2654435761) >>> 0;
  for (let i = 0; i < 32; i++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + i + serial) >>> 0;
    pairs.push((x & 0xff).toString(16).padStart(2, '0').toUpperCase());
  }
  // The serial in the first two bytes keeps them unique even if the hash collided.
  pairs[0] = ((serial >> 8) & 0xff).toString(16).padStart(2, '0').toUpperCase();
  pairs[1] = (serial & 0xff).toString(16).padStart(2, '0').toUpperCase();
  return pairs.join(':');
}

let serials = 0;

/**
 * An EventTarget-based RTCPeerConnection stand-in with what Generation uses: transceivers,
 * implicit offer/answer through setLocalDescription(), gathering, connection state, getStats()
 * and 'track' events. Test hooks: `fail()`, `gather()`.
 */
export class FakePeerConnection extends EventTarget {
  readonly id: string;
  readonly serial = ++serials;
  readonly fingerprint = fingerprintFor(this.serial);
  signalingState: RTCSignalingState = 'stable';
  iceGatheringState: RTCIceGatheringState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: { type: RTCSdpType; sdp: string } | null = null;
  remoteDescription: { type: RTCSdpType; sdp: string } | null = null;
  /** The fake connection named in the remote description. */
  peerId: string | null = null;
  dtlsRole: 'client' | 'server' | null = null;
  connectedAt: number | null = null;
  closedAt: number | null = null;
  /** @internal pending ICE+DTLS completion, shared with the peer */
  connectTimer: ReturnType<typeof setTimeout> | null = null;
  /** Listeners currently attached, by event type: what a closed connection must not keep. */
  readonly listeners = new Map<string, number>();
  private readonly transceivers: FakeTransceiver[] = [];
  private gatherTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly createdAt = Date.now();

  constructor(
    readonly network: FakeNetwork,
    readonly engine: Engine,
    readonly label: string,
    readonly configuration?: RTCConfiguration,
  ) {
    super();
    this.id = network.register(this);
  }

  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    if (listener) this.listeners.set(type, (this.listeners.get(type) ?? 0) + 1);
    super.addEventListener(type, listener, options);
  }

  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: EventListenerOptions | boolean,
  ): void {
    const count = this.listeners.get(type) ?? 0;
    if (listener && count > 0) this.listeners.set(type, count - 1);
    super.removeEventListener(type, listener, options);
  }

  /** Listeners still attached, all types together. */
  get listenerCount(): number {
    return [...this.listeners.values()].reduce((a, b) => a + b, 0);
  }

  addTransceiver(
    trackOrKind: FakeMediaStreamTrack | 'audio' | 'video',
    init: RTCRtpTransceiverInit = {},
  ) {
    this.assertOpen();
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    const transceiver = this.makeTransceiver(
      String(this.transceivers.length),
      kind,
      init.direction ?? 'sendrecv',
    );
    if (typeof trackOrKind !== 'string') transceiver.sender.track = trackOrKind;
    return transceiver;
  }

  getTransceivers(): FakeTransceiver[] {
    return [...this.transceivers];
  }

  async setLocalDescription(description?: { type: RTCSdpType; sdp?: string }): Promise<void> {
    this.assertOpen();
    await Promise.resolve();
    if (description?.type === 'rollback') throw new Error('fake: rollback not supported');
    if (this.signalingState === 'stable') {
      this.dtlsRole = 'server'; // offers say actpass; answers say active (FACTS.md)
      this.localDescription = { type: 'offer', sdp: this.sdp('offer') };
      this.signalingState = 'have-local-offer';
    } else if (this.signalingState === 'have-remote-offer') {
      for (const t of this.transceivers)
        t.currentDirection = answerDirection(t.remoteDirection, t.direction);
      this.dtlsRole = 'client';
      this.localDescription = { type: 'answer', sdp: this.sdp('answer') };
      this.signalingState = 'stable';
    } else {
      throw new DOMException(
        `fake: setLocalDescription in ${this.signalingState}`,
        'InvalidStateError',
      );
    }
    this.startGathering();
    this.dispatchEvent(new Event('signalingstatechange'));
    this.network.maybeConnect(this);
  }

  async setRemoteDescription(description: { type: RTCSdpType; sdp: string }): Promise<void> {
    this.assertOpen();
    await Promise.resolve();
    const sections = parseSections(description.sdp);
    const peer = /^a=ice-ufrag:(\S+)/m.exec(description.sdp)?.[1] ?? null;
    if (description.type === 'offer') {
      if (this.signalingState !== 'stable')
        throw new DOMException('fake: glare', 'InvalidStateError');
      this.peerId = peer;
      this.remoteDescription = { type: 'offer', sdp: description.sdp };
      for (const section of sections) {
        let t = this.transceivers.find((x) => x.mid === section.mid);
        if (!t) t = this.makeTransceiver(section.mid, section.kind, 'recvonly');
        t.remoteDirection = section.direction;
      }
      this.signalingState = 'have-remote-offer';
      this.fireTracks();
    } else if (description.type === 'answer') {
      if (this.signalingState !== 'have-local-offer')
        throw new DOMException('fake: no offer', 'InvalidStateError');
      this.peerId = peer;
      this.remoteDescription = { type: 'answer', sdp: description.sdp };
      for (const section of sections) {
        const t = this.transceivers.find((x) => x.mid === section.mid);
        if (!t) continue;
        t.remoteDirection = section.direction;
        t.currentDirection = answerDirection(section.direction, t.direction);
      }
      this.signalingState = 'stable';
      this.fireTracks();
    } else {
      throw new Error(`fake: unsupported description type ${description.type}`);
    }
    this.dispatchEvent(new Event('signalingstatechange'));
    this.network.maybeConnect(this);
  }

  async getStats(): Promise<Map<string, Record<string, unknown>>> {
    if (this.network.hangStats) return new Promise(() => undefined);
    await Promise.resolve();
    if (this.network.statsDelayMs > 0)
      await new Promise((resolve) => setTimeout(resolve, this.network.statsDelayMs));
    if (this.network.closeStrandsStats && this.signalingState === 'closed')
      return new Promise(() => undefined);
    const now = Date.now();
    const entries: Array<Record<string, unknown>> = [];
    const peer = this.network.lookup(this.peerId);
    const connected = this.connectionState === 'connected';
    const received = connected && peer ? this.packetsFrom(peer, now) : 0;
    const sent = connected && peer ? peer.packetsFrom(this, now) : 0;
    const bytesReceived = received * this.network.bytesPerPacket;
    const bytesSent = sent * this.network.bytesPerPacket;
    const security = this.network.securityOf(this);
    const pairId = `CP${this.id}`;
    const chrome = this.engine === 'chrome';
    const transport: Record<string, unknown> = {
      id: 'T01',
      timestamp: now,
      type: 'transport',
      dtlsRole: this.dtlsRole ?? 'unknown',
      dtlsState: connected ? 'connected' : this.connectionState === 'failed' ? 'failed' : 'new',
      iceRole: this.dtlsRole === 'server' ? 'controlling' : 'controlled',
      iceState: connected ? 'connected' : 'new',
    };
    if (connected) {
      Object.assign(transport, {
        tlsVersion: security.tlsVersion,
        dtlsCipher: security.dtlsCipher,
        srtpCipher: security.srtpCipher,
        selectedCandidatePairId: pairId,
      });
    }
    if (chrome) {
      // Chromium: bytes and certificate ids on the transport; certificate entries.
      Object.assign(transport, {
        bytesSent,
        bytesReceived,
        packetsSent: sent,
        packetsReceived: received,
      });
      transport['localCertificateId'] = `CF${this.fingerprint}`;
      entries.push({
        id: `CF${this.fingerprint}`,
        timestamp: now,
        type: 'certificate',
        fingerprint: this.fingerprint,
        fingerprintAlgorithm: 'sha-256',
      });
      if (peer && connected) {
        transport['remoteCertificateId'] = `CF${peer.fingerprint}`;
        entries.push({
          id: `CF${peer.fingerprint}`,
          timestamp: now,
          type: 'certificate',
          fingerprint: peer.fingerprint,
          fingerprintAlgorithm: 'sha-256',
        });
      }
    }
    entries.push(transport);
    if (connected) {
      entries.push(
        {
          id: `I${this.id}`,
          timestamp: now,
          type: 'local-candidate',
          candidateType: 'host',
          protocol: 'udp',
          transportId: 'T01',
        },
        {
          id: `I${peer?.id ?? 'x'}`,
          timestamp: now,
          type: 'remote-candidate',
          candidateType: 'host',
          protocol: 'udp',
          transportId: 'T01',
        },
        {
          id: pairId,
          timestamp: now,
          type: 'candidate-pair',
          transportId: 'T01',
          localCandidateId: `I${this.id}`,
          remoteCandidateId: `I${peer?.id ?? 'x'}`,
          state: 'succeeded',
          nominated: true,
          ...(chrome ? {} : { selected: true }),
          bytesSent,
          bytesReceived,
          packetsSent: sent,
          packetsReceived: received,
        },
      );
    }
    for (const t of this.transceivers) {
      if (receives(t.currentDirection) && t.receiver.track.kind === 'audio') {
        entries.push({
          id: `IT01A${t.mid}`,
          timestamp: now,
          type: 'inbound-rtp',
          kind: 'audio',
          mediaType: 'audio',
          transportId: 'T01',
          packetsReceived: received,
          bytesReceived,
        });
      }
      if (sends(t.currentDirection) && t.sender.track) {
        entries.push({
          id: `OT01A${t.mid}`,
          timestamp: now,
          type: 'outbound-rtp',
          kind: 'audio',
          packetsSent: sent,
          bytesSent,
        });
      }
    }
    return new Map(entries.map((e) => [e['id'] as string, e]));
  }

  close(): void {
    if (this.signalingState === 'closed') return;
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    this.gatherTimer = null;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    const wasConnected = this.connectionState === 'connected';
    this.signalingState = 'closed';
    // Browsers do not fire connectionstatechange for a local close().
    this.connectionState = 'closed';
    this.closedAt = Date.now();
    const peer = this.network.lookup(this.peerId);
    if (
      wasConnected &&
      peer &&
      this.network.peerCloseFails &&
      peer.connectionState === 'connected'
    ) {
      peer.setConnectionState('failed');
    }
  }

  // ---- test hooks ----

  /** The path dies: this connection (and its peer, unless `alone`) goes `failed`. */
  fail(alone = false): void {
    this.setConnectionState('failed');
    if (!alone) this.network.lookup(this.peerId)?.setConnectionState('failed');
  }

  /** Completes ICE gathering now (when `gatherDelayMs` is Infinity). */
  gather(): void {
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    this.gatherTimer = null;
    this.completeGathering();
  }

  get closed(): boolean {
    return this.connectionState === 'closed';
  }

  /** @internal */
  setConnectionState(state: RTCPeerConnectionState): void {
    if (this.connectionState === state || this.connectionState === 'closed') return;
    if (state === 'failed' && this.closedAt === null) this.closedAt = Date.now();
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }

  /** @internal Audio packets `receiver` got from this connection by `now`. */
  packetsFrom(receiver: FakePeerConnection, now: number): number {
    if (this.connectedAt === null || !this.network.mediaFlows(receiver)) return 0;
    if (!this.transceivers.some((t) => sends(t.currentDirection) && t.sender.track)) return 0;
    const until = Math.min(now, this.closedAt ?? now, receiver.closedAt ?? now);
    return Math.max(
      0,
      Math.floor((until - this.connectedAt - this.network.mediaStartDelayMs) / 20) + 1,
    );
  }

  /** @internal Both descriptions are in place, with candidates, and name each other. */
  negotiatedWith(peer: FakePeerConnection): boolean {
    return (
      this.signalingState === 'stable' &&
      this.localDescription !== null &&
      this.remoteDescription !== null &&
      peer.localDescription !== null &&
      this.remoteDescription.sdp === peer.localDescription.sdp &&
      /^a=candidate:/m.test(this.remoteDescription.sdp)
    );
  }

  private makeTransceiver(
    mid: string,
    kind: string,
    direction: RTCRtpTransceiverDirection,
  ): FakeTransceiver {
    const transceiver: FakeTransceiver = {
      mid,
      direction,
      currentDirection: null,
      remoteDirection: null,
      firedTrack: false,
      sender: {
        track: null,
        replaceTrack: async (track) => {
          transceiver.sender.track = track;
        },
        setStreams: () => undefined,
      },
      receiver: { track: new FakeMediaStreamTrack(kind as 'audio' | 'video', `remote-${this.id}`) },
    };
    this.transceivers.push(transceiver);
    return transceiver;
  }

  private fireTracks(): void {
    for (const t of this.transceivers) {
      if (t.firedTrack || !sends(t.remoteDirection)) continue;
      t.firedTrack = true;
      const event = new Event('track') as Event & {
        track?: unknown;
        streams?: unknown;
        transceiver?: unknown;
      };
      event.track = t.receiver.track;
      event.streams = [new FakeMediaStream([t.receiver.track])];
      event.transceiver = t;
      this.dispatchEvent(event);
    }
  }

  private startGathering(): void {
    if (this.iceGatheringState !== 'new') return;
    this.iceGatheringState = 'gathering';
    this.dispatchEvent(new Event('icegatheringstatechange'));
    if (this.network.gatherDelayMs === Infinity) return;
    this.gatherTimer = setTimeout(() => {
      this.gatherTimer = null;
      this.completeGathering();
    }, this.network.gatherDelayMs);
  }

  private completeGathering(): void {
    if (this.signalingState === 'closed' || this.iceGatheringState === 'complete') return;
    this.iceGatheringState = 'complete';
    if (this.localDescription) {
      this.localDescription = {
        ...this.localDescription,
        sdp: this.sdp(this.localDescription.type as 'offer' | 'answer'),
      };
    }
    this.dispatchEvent(new Event('icegatheringstatechange'));
  }

  private sdp(type: 'offer' | 'answer'): string {
    const lines = [
      'v=0',
      `o=- ${this.serial}${this.createdAt % 100000} 2 IN IP4 127.0.0.1`,
      's=-',
      't=0 0',
      `a=group:BUNDLE ${this.transceivers.map((t) => t.mid).join(' ')}`,
      `a=fingerprint:sha-256 ${this.fingerprint}`,
    ];
    for (const t of this.transceivers) {
      const direction = type === 'offer' ? t.direction : (t.currentDirection ?? 'inactive');
      lines.push(
        `m=${t.receiver.track.kind} 9 UDP/TLS/RTP/SAVPF 111`,
        'c=IN IP4 0.0.0.0',
        `a=mid:${t.mid}`,
        `a=ice-ufrag:${this.id}`,
        'a=ice-pwd:fakefakefakefakefakefake',
        `a=setup:${type === 'offer' ? 'actpass' : 'active'}`,
        `a=${direction}`,
        'a=rtcp-mux',
        'a=rtpmap:111 opus/48000/2',
      );
      if (this.iceGatheringState === 'complete') {
        lines.push(
          `a=candidate:1 1 udp 2122260223 10.0.0.${this.serial % 250} ${40000 + this.serial} typ host`,
          'a=end-of-candidates',
        );
      }
    }
    return lines.join('\r\n') + '\r\n';
  }

  private assertOpen(): void {
    if (this.signalingState === 'closed')
      throw new DOMException('fake: closed', 'InvalidStateError');
  }
}

function parseSections(
  sdp: string,
): Array<{ mid: string; kind: string; direction: RTCRtpTransceiverDirection | null }> {
  return sdp
    .split(/\r?\nm=/)
    .slice(1)
    .map((section) => ({
      kind: section.split(' ')[0] ?? 'audio',
      mid: /^a=mid:(\S+)/m.exec(section)?.[1] ?? '0',
      direction: (/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(section)?.[1] ??
        null) as RTCRtpTransceiverDirection | null,
    }));
}
