import { EventEmitter } from 'eventemitter3';
import { browserPlatform } from './browserPlatform.js';
import { RekeyRtcError } from './errors.js';
import { Generation, type GenerationState } from './Generation.js';
import { RemotePlayout } from './media/RemotePlayout.js';
import { resolveCallOptions, type ResolvedCallOptions, type SecureCallOptions } from './options.js';
import type { Platform } from './platform.js';
import { SecurityMonitor } from './monitor/SecurityMonitor.js';
import { resolvePolicy, type Policy } from './policy/Policy.js';
import { newAttempt, type Attempt, type AttemptPurpose } from './rekey/Attempt.js';
import { resolveRekeyOptions, type ResolvedRekeyOptions } from './rekey/RekeyOptions.js';
import { RekeyScheduler } from './rekey/RekeyScheduler.js';
import {
  makeMessage,
  MalformedMessage,
  parseMessage,
  type MessageKind,
  type SignalingMessage,
} from './signaling/messages.js';
import type { TelemetryError } from './telemetry/TelemetryReporter.js';
import { resolveTelemetryHook, type TelemetryHook } from './TelemetryHook.js';
import { VERSION } from './version.js';
import type {
  CallState,
  CloseInfo,
  CloseReason,
  RekeyFailure,
  RekeyReason,
  RekeyReport,
  SecuritySnapshot,
  Violation,
} from './types.js';

/** Events of a {@link SecureCall}. Listeners that throw are reported, never break the call. */
export interface SecureCallEvents {
  /** The call's state changed. */
  state: (state: CallState) => void;
  /** A security-relevant field changed (first snapshot of each generation included). */
  security: (snapshot: SecuritySnapshot) => void;
  /** Every monitor read, including byte counters; `security` fires only on changes. */
  stats: (snapshot: SecuritySnapshot) => void;
  /** A policy rule is broken. Fires once per generation and rule. */
  violation: (violation: Violation) => void;
  /** A re-key began. */
  rekeystart: (info: { generation: number; reason: RekeyReason }) => void;
  /** A re-key completed: the old connection is closed, the new one carries the call. */
  rekey: (report: RekeyReport) => void;
  /** A re-key attempt failed; the old connection still carries the call. */
  rekeyfailed: (failure: RekeyFailure) => void;
  /** A problem that did not end the call (malformed message, signaling send failure). */
  error: (error: RekeyRtcError) => void;
  /** The call ended. Fires once. */
  close: (info: CloseInfo) => void;
  /** Telemetry could not be delivered or stored; the call is not affected. */
  telemetryerror: (error: TelemetryError) => void;
}

const ALLOWED: Record<CallState, readonly CallState[]> = {
  new: ['connecting', 'closed'],
  connecting: ['connected', 'closed', 'failed'],
  connected: ['rekeying', 'closed', 'failed'],
  rekeying: ['connected', 'closed', 'failed'],
  closed: [],
  failed: [],
};

/** Messages are resent at this pace until answered: loss on the app's channel must not stall. */
const RESEND_MS = 1000;
/** Messages received before `start()`; more than this is a misbehaving peer. */
const INBOX_LIMIT = 64;
/** Consecutive failed recoveries (current connection dead) before the call is given up. */
const MAX_RECOVERY_FAILURES = 3;

interface Retiring {
  connection: Generation;
  attempt: Attempt;
  previous: SecuritySnapshot | null;
  switchedAt: number;
  timer: unknown;
  /** This side's playout has left the old connection. */
  localDone: boolean;
  /** The other side's has (its `switched` arrived). */
  remoteDone: boolean;
}

/**
 * After both sides' playout left the old connection: time for the last crossfade to finish and
 * its samples to reach the speakers before the connection closes.
 */
const RETIRE_AFTER_SWITCH_MS = 250;

/**
 * A voice call over one RTCPeerConnection at a time that re-keys by building the next one
 * while the current one still carries audio (make-before-break).
 *
 * @example
 * const call = new SecureCall({ role: 'caller', send: (m) => ws.send(JSON.stringify(m)), localStream });
 * ws.onmessage = (e) => call.receive(JSON.parse(e.data));
 * audioElement.srcObject = call.remoteStream;
 * await call.start();
 */
export class SecureCall extends EventEmitter<SecureCallEvents> {
  /** One MediaStream for the whole call: attach it to an `<audio>` element once. */
  readonly remoteStream: MediaStream;
  readonly role: 'caller' | 'callee';
  /** The policy in force, defaults filled in. */
  readonly policy: Policy;
  /** The re-key settings in force, defaults filled in. */
  readonly rekeyOptions: ResolvedRekeyOptions;

  private readonly options: ResolvedCallOptions;
  private readonly platform: Platform;
  private readonly playout: RemotePlayout;
  private readonly scheduler: RekeyScheduler;
  private readonly monitor: SecurityMonitor;
  private _state: CallState = 'new';
  private _callId: string | null = null;
  private isOfferer: boolean | null = null;
  private current: Generation | null = null;
  private attempt: Attempt | null = null;
  private retiring: Retiring | null = null;
  private readonly inbox: SignalingMessage[] = [];
  private queue: Promise<void> = Promise.resolve();
  private helloTimer: unknown = null;
  private startTimer: unknown = null;
  /** Rules that already triggered their one `policy` re-key (per call, or it could loop forever). */
  private readonly policyRekeys = new Set<string>();
  /** Attempts given up here or by the other side: a late (reordered) offer of one is stale. */
  private readonly endedAttempts = new Set<string>();
  private recoveryFailures = 0;
  /** A re-key asked for while the last one's playout was still switching (see beginRekey). */
  private deferred: {
    reason: RekeyReason;
    waiters: { resolve: (r: RekeyReport) => void; reject: (e: Error) => void }[];
  } | null = null;
  private startPromise: Promise<void> | null = null;
  private startWaiter: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private readonly telemetry: TelemetryHook | null;
  private recording = false;

  constructor(options: SecureCallOptions) {
    super();
    this.options = resolveCallOptions(options);
    this.policy = resolvePolicy(options.policy);
    this.rekeyOptions = resolveRekeyOptions(options.rekey);
    this.role = this.options.role;
    this.platform = { ...browserPlatform(), ...options.platform };
    this.playout = new RemotePlayout(this.platform, {
      speaker: this.options.audioOutput === 'speaker',
      onSwitched: (generation) => this.onPlayoutSwitched(generation),
    });
    this.remoteStream = this.playout.stream;
    this.monitor = new SecurityMonitor(this.platform, this.policy, this.options.statsIntervalMs, {
      stats: (snapshot) => this.onStats(snapshot),
      security: (snapshot) => this.safeEmit('security', snapshot),
      violation: (violation) => this.onViolation(violation),
    });
    this.scheduler = new RekeyScheduler(this.platform, this.rekeyOptions, (reason) =>
      this.requestRekey(reason),
    );
    this.telemetry = resolveTelemetryHook(options.telemetry);
    this.telemetry?.onError((error) => this.safeEmit('telemetryerror', error));
  }

  get state(): CallState {
    return this._state;
  }

  /** Closed or failed: nothing more happens. A method, so TypeScript re-reads it after awaits. */
  private get ended(): boolean {
    return this._state === 'closed' || this._state === 'failed';
  }

  /** The call id, chosen by the caller; null until known. */
  get callId(): string | null {
    return this._callId;
  }

  /** Latest security snapshot of the connection carrying the call, or null before the first. */
  get security(): SecuritySnapshot | null {
    return this.monitor.latest;
  }

  /** Number of completed re-keys: 0 for the first connection. */
  get generation(): number {
    return this.current?.number ?? 0;
  }

  /** Time and bytes left before the next scheduled re-key; null where nothing is scheduled. */
  get nextRekey(): { inMs: number | null; bytesLeft: number | null } {
    const latest = this.monitor.latest;
    const used = (latest?.bytesSent ?? 0) + (latest?.bytesReceived ?? 0);
    const scheduled = this.rekeyOptions.scheduled && this.current !== null;
    return {
      inMs: scheduled ? this.scheduler.msUntilInterval : null,
      bytesLeft: scheduled ? Math.max(0, this.rekeyOptions.maxBytes - used) : null,
    };
  }

  /**
   * Starts the call. Both sides call it; it resolves when the first connection is up and
   * rejects if the call closes first or does not connect within `connectTimeoutMs`.
   * Calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.ended) return Promise.reject(RekeyRtcError.closed());
    if (this.startPromise) return this.startPromise;
    if (this._state !== 'new') return Promise.reject(RekeyRtcError.closed());
    this.startPromise = new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
    // Callers that never await start() must not see an unhandled rejection: close tells them.
    this.startPromise.catch(() => undefined);
    this.setState('connecting');
    void this.playout.resume().catch(() => undefined);
    this.startTimer = this.platform.setTimeout(() => {
      this.startWaiter?.reject(RekeyRtcError.startTimeout(this.options.connectTimeoutMs));
      this.teardown('start-timeout');
    }, this.options.connectTimeoutMs);
    if (this.role === 'caller') {
      this._callId = this.platform.randomId();
      this.startRecording();
      this.sendHello();
    }
    for (const message of this.inbox.splice(0)) this.enqueue(() => this.handle(message));
    return this.startPromise;
  }

  /**
   * Takes a message the other side's `send` produced. Never throws: malformed or foreign
   * messages emit `error`, stale and duplicate ones are ignored as the protocol says.
   */
  receive(message: unknown): void {
    if (this._state === 'closed' || this._state === 'failed') return;
    let parsed: SignalingMessage | null;
    try {
      parsed = parseMessage(message);
    } catch (error) {
      const detail = error instanceof MalformedMessage ? error.message : 'unreadable';
      this.safeEmit('error', RekeyRtcError.malformed(detail));
      return;
    }
    if (!parsed) return;
    if (this._state === 'new') {
      if (this.inbox.length < INBOX_LIMIT) this.inbox.push(parsed);
      return;
    }
    const valid = parsed;
    this.enqueue(() => this.handle(valid));
  }

  /**
   * Re-keys now. Resolves with the report once the new connection carries the call and the old
   * one is closed; rejects if the attempt fails (a retry is then scheduled) or the call closes.
   * While a re-key is under way, returns that one.
   */
  rekey(): Promise<RekeyReport> {
    if (this._state === 'closed' || this._state === 'failed')
      return Promise.reject(RekeyRtcError.closed());
    if (this._state !== 'connected' && this._state !== 'rekeying') {
      return Promise.reject(
        new RekeyRtcError('invalid-state', `cannot re-key a call in state '${this._state}'`),
      );
    }
    return new Promise<RekeyReport>((resolve, reject) => {
      this.enqueue(async () => {
        if (!this.attempt) await this.beginRekey('manual');
        if (this.attempt) this.attempt.waiters.push({ resolve, reject });
        else if (this.deferred) this.deferred.waiters.push({ resolve, reject });
        else reject(RekeyRtcError.closed());
      });
    });
  }

  /** Ends the call and tells the other side. Idempotent. */
  close(): void {
    if (this._state === 'closed' || this._state === 'failed') return;
    this.sendBye('local');
    this.teardown('local');
  }

  // ---- signaling -------------------------------------------------------------------------

  private async handle(message: SignalingMessage): Promise<void> {
    if (this._state === 'closed' || this._state === 'failed') return;
    if (message.kind === 'hello') return this.onHello(message);
    if (this._callId === null || message.callId !== this._callId) {
      this.safeEmit('error', RekeyRtcError.unknownCall());
      return;
    }
    switch (message.kind) {
      case 'hello-ack':
        return this.onHelloAck(message.engine);
      case 'rekey-request':
        return this.onRekeyRequest(message.generation);
      case 'offer':
        return this.onOffer(message.generation, message.attempt, message.sdp);
      case 'answer':
        return this.onAnswer(message.attempt, message.sdp);
      case 'switched':
        return this.onSwitched(message.generation, message.attempt);
      case 'abort':
        return this.onAbort(message.attempt);
      case 'bye':
        this.teardown('remote');
        return;
    }
  }

  private onHello(message: Extract<SignalingMessage, { kind: 'hello' }>): void | Promise<void> {
    if (this.role === 'caller') {
      this.safeEmit(
        'error',
        new RekeyRtcError(
          'invalid-state',
          'both sides are callers: exactly one side must be the callee',
        ),
      );
      return;
    }
    if (this._callId === null) {
      this._callId = message.callId;
      this.isOfferer = this.decideOfferer(message.engine);
      this.startRecording();
    } else if (message.callId !== this._callId) {
      this.safeEmit('error', RekeyRtcError.unknownCall());
      return;
    }
    // A repeated hello means our acknowledgement was lost: answer every one.
    this.send('hello-ack', 0, { engine: this.platform.engine.name });
    if (this.isOfferer && !this.current && !this.attempt) return this.beginAttempt(0, 'initial');
  }

  private onHelloAck(engine: string): void | Promise<void> {
    if (this.role !== 'caller' || this.isOfferer !== null) return;
    this.platform.clearTimeout(this.helloTimer);
    this.helloTimer = null;
    this.isOfferer = this.decideOfferer(engine);
    if (this.isOfferer) return this.beginAttempt(0, 'initial');
  }

  /**
   * The offerer ends up DTLS server (answers say `a=setup:active`), and the DTLS server picks the
   * SRTP profile: Firefox picks AEAD_AES_128_GCM, Chromium AES_CM (FACTS.md). So when exactly one
   * side is Firefox it offers; otherwise the caller does.
   */
  private decideOfferer(remoteEngine: string): boolean {
    const localGcm = this.platform.engine.name === 'firefox';
    const remoteGcm = remoteEngine === 'firefox';
    if (localGcm !== remoteGcm) return localGcm;
    return this.role === 'caller';
  }

  private sendHello(): void {
    if (this.isOfferer !== null || this._state !== 'connecting') return;
    this.send('hello', 0, { engine: this.platform.engine.name });
    this.helloTimer = this.platform.setTimeout(() => this.sendHello(), RESEND_MS);
  }

  private onRekeyRequest(generation: number): void | Promise<void> {
    if (!this.isOfferer || !this.current || generation <= this.current.number) return;
    if (this.attempt || this._state !== 'connected') return; // one is under way already
    if (this.retiring) {
      this.deferred ??= { reason: 'remote', waiters: [] };
      return;
    }
    return this.beginAttempt(this.current.number + 1, 'remote');
  }

  private async onOffer(generation: number, id: string, sdp: string): Promise<void> {
    if (this.isOfferer !== false) return;
    if (this.endedAttempts.has(id)) return; // a retry replaced it; its offer was overtaken
    if (this.current && generation <= this.current.number) return; // stale
    let attempt = this.attempt;
    if (attempt && attempt.id === id) {
      // Duplicate: the offerer did not get our answer yet.
      if (attempt.answerSdp)
        this.send('answer', generation, { attempt: id, sdp: attempt.answerSdp });
      return;
    }
    const requested =
      attempt && attempt.id === null && attempt.generation === generation ? attempt.purpose : null;
    const waiters = attempt?.waiters ?? [];
    if (attempt) this.abandon(attempt);
    const purpose: AttemptPurpose = generation === 0 ? 'initial' : (requested ?? 'remote');
    attempt = newAttempt(generation, purpose, this.platform.now());
    attempt.id = id;
    attempt.waiters = waiters;
    this.attempt = attempt;
    // Our own request being answered already announced this re-key: do not announce it twice.
    if (generation > 0) this.beginRekeyState(attempt, requested === null);
    const connection = this.createGeneration(attempt, false);
    try {
      const answer = await connection.acceptOffer(sdp);
      if (this.attempt !== attempt) return;
      attempt.answerSdp = answer;
      this.send('answer', generation, { attempt: id, sdp: answer });
    } catch (error) {
      this.failAttempt(attempt, 'negotiation-failed', `could not answer: ${describe(error)}`);
    }
  }

  private async onAnswer(id: string, sdp: string): Promise<void> {
    const attempt = this.attempt;
    if (!this.isOfferer || !attempt || attempt.id !== id || !attempt.connection) return;
    this.platform.clearTimeout(attempt.resendTimer);
    attempt.resendTimer = null;
    try {
      await attempt.connection.acceptAnswer(sdp);
    } catch (error) {
      this.failAttempt(
        attempt,
        'negotiation-failed',
        `could not apply the answer: ${describe(error)}`,
      );
    }
  }

  /** The other side's playout has left its old connection for `generation`. */
  private onSwitched(generation: number, id: string): void {
    const retiring = this.retiring;
    if (retiring && retiring.attempt.id === id && this.current?.number === generation) {
      retiring.remoteDone = true;
      if (retiring.localDone) this.scheduleRetire(RETIRE_AFTER_SWITCH_MS);
    } else if (this.attempt && this.attempt.id === id) {
      this.attempt.remoteSwitched = true;
    }
  }

  /** This side's playout has left the old connection: tell the other side, retire when both have. */
  private onPlayoutSwitched(generation: number): void {
    const retiring = this.retiring;
    if (!retiring || retiring.attempt.generation !== generation || retiring.localDone) return;
    retiring.localDone = true;
    if (retiring.attempt.id) this.send('switched', generation, { attempt: retiring.attempt.id });
    // The other side's playout may switch up to a third of `switchMs` after ours.
    const { maxOverlapMs, switchMs } = this.rekeyOptions;
    this.scheduleRetire(
      retiring.remoteDone ? RETIRE_AFTER_SWITCH_MS : Math.max(maxOverlapMs, switchMs),
    );
  }

  private onAbort(id: string): void {
    this.endAttempt(id);
    const attempt = this.attempt;
    if (attempt && attempt.id === id)
      this.failAttempt(attempt, 'remote-aborted', 'the other side gave up on this attempt', false);
  }

  // ---- generations -----------------------------------------------------------------------

  /** Offerer side: builds generation `generation` and sends its offer until answered. */
  private async beginAttempt(generation: number, purpose: AttemptPurpose): Promise<void> {
    const attempt = newAttempt(generation, purpose, this.platform.now());
    attempt.id = this.platform.randomId();
    this.attempt = attempt;
    if (generation > 0) this.beginRekeyState(attempt);
    const connection = this.createGeneration(attempt, true);
    try {
      attempt.offerSdp = await connection.createOffer();
    } catch (error) {
      this.failAttempt(
        attempt,
        'negotiation-failed',
        `could not create an offer: ${describe(error)}`,
      );
      return;
    }
    if (this.attempt !== attempt) return;
    this.sendOffer(attempt);
  }

  private sendOffer(attempt: Attempt): void {
    if (this.attempt !== attempt || !attempt.offerSdp || !attempt.id) return;
    if (attempt.connection && attempt.connection.state !== 'negotiating') return;
    this.send('offer', attempt.generation, { attempt: attempt.id, sdp: attempt.offerSdp });
    attempt.resendTimer = this.platform.setTimeout(() => this.sendOffer(attempt), RESEND_MS);
  }

  /** Starts a re-key from this side, whichever side offers. */
  private async beginRekey(reason: RekeyReason): Promise<void> {
    if (this._state !== 'connected' || !this.current || this.attempt) return;
    if (this.retiring && reason !== 'recovery') {
      // The last re-key's playout switch is under way: this one starts once it is done.
      this.deferred ??= { reason, waiters: [] };
      return;
    }
    const generation = this.current.number + 1;
    if (this.isOfferer) return this.beginAttempt(generation, reason);
    const attempt = newAttempt(generation, reason, this.platform.now());
    this.attempt = attempt;
    this.beginRekeyState(attempt);
    this.sendRequest(attempt);
  }

  private sendRequest(attempt: Attempt): void {
    if (this.attempt !== attempt || attempt.id !== null || attempt.purpose === 'initial') return;
    this.send('rekey-request', attempt.generation, { reason: attempt.purpose });
    attempt.resendTimer = this.platform.setTimeout(() => this.sendRequest(attempt), RESEND_MS);
  }

  /** Scheduler, policy and recovery entry point. */
  private requestRekey(reason: RekeyReason): void {
    this.enqueue(() => this.beginRekey(reason));
  }

  private beginRekeyState(attempt: Attempt, announce = true): void {
    this.setState('rekeying');
    attempt.timeoutTimer = this.platform.setTimeout(
      () =>
        this.failAttempt(
          attempt,
          'timeout',
          `no audio on the new connection within ${this.rekeyOptions.timeoutMs} ms`,
        ),
      this.rekeyOptions.timeoutMs,
    );
    if (announce)
      this.safeEmit('rekeystart', {
        generation: attempt.generation,
        reason: attempt.purpose as RekeyReason,
      });
  }

  private createGeneration(attempt: Attempt, isOfferer: boolean): Generation {
    const connection = new Generation(this.platform, {
      number: attempt.generation,
      attempt: attempt.id ?? '',
      isOfferer,
      rtcConfiguration: this.options.rtcConfiguration,
      localStream: this.options.localStream,
      gatherTimeoutMs: this.options.iceGatheringTimeoutMs,
      flowPollMs: 50,
    });
    attempt.connection = connection;
    connection.on('track', (track) => this.playout.add(attempt.generation, track));
    connection.on('state', (state) => this.onGenerationState(connection, state));
    return connection;
  }

  private onGenerationState(connection: Generation, state: GenerationState): void {
    const attempt = this.attempt;
    if (attempt && attempt.connection === connection) {
      if (state === 'failed') {
        this.failAttempt(attempt, 'connection-failed', 'the new connection failed');
      } else if (attempt.purpose === 'initial' && state === 'connected') {
        this.promoteInitial(attempt);
      } else if (
        state === 'flowing' ||
        (state === 'connected' && this.current?.state === 'failed')
      ) {
        // Switch when audio really arrives; if the old connection is already dead there is
        // nothing to keep, so the new one takes over as soon as it is up.
        this.switchTo(attempt);
      }
      return;
    }
    if (connection === this.current && state === 'failed') {
      // A new connection already up (audio not seen yet) has nothing left to wait for: it takes over.
      if (this.attempt?.purpose !== 'initial' && this.attempt?.connection?.state === 'connected')
        this.switchTo(this.attempt);
      else if (!this.attempt && this._state === 'connected') this.requestRekey('recovery');
      return;
    }
    if (this.retiring?.connection === connection && state === 'failed') this.scheduleRetire(0);
  }

  private promoteInitial(attempt: Attempt): void {
    this.clearAttemptTimers(attempt);
    this.attempt = null;
    this.current = attempt.connection;
    this.platform.clearTimeout(this.startTimer);
    this.startTimer = null;
    this.setState('connected');
    this.scheduler.arm();
    if (this.current) this.monitor.watch(this.current);
    this.startWaiter?.resolve();
    this.startWaiter = null;
  }

  private switchTo(attempt: Attempt): void {
    const next = attempt.connection;
    const old = this.current;
    if (!next || !old || !attempt.id) return;
    this.clearAttemptTimers(attempt);
    // A generation still waiting for retirement (its peer's confirmation lost) goes now: only
    // the new and the current one may be open.
    if (this.retiring) void this.retire(this.retiring);
    this.attempt = null;
    this.current = next;
    this.recoveryFailures = 0;
    this.retiring = {
      connection: old,
      attempt,
      previous: this.monitor.latest,
      switchedAt: this.platform.now(),
      timer: null,
      localDone: false,
      remoteDone: attempt.remoteSwitched,
    };
    this.setState('connected');
    this.scheduler.arm();
    // Whatever happens to playout, the old connection goes by then.
    this.scheduleRetire(2 * this.rekeyOptions.switchMs + this.rekeyOptions.maxOverlapMs);
    // Playout keeps the old connection playing while the new one settles (up to `switchMs`; at
    // once if the old one is dead), then reports through onPlayoutSwitched.
    const dead = old.state === 'failed';
    this.playout.switchTo(attempt.generation, dead ? 0 : this.rekeyOptions.switchMs);
    this.monitor.watch(next);
  }

  private scheduleRetire(delayMs: number): void {
    const retiring = this.retiring;
    if (!retiring) return;
    this.platform.clearTimeout(retiring.timer);
    retiring.timer = this.platform.setTimeout(() => void this.retire(retiring), delayMs);
  }

  private async retire(retiring: Retiring): Promise<void> {
    if (this.retiring !== retiring) return;
    this.retiring = null;
    this.startDeferred();
    this.platform.clearTimeout(retiring.timer);
    const now = this.platform.now();
    this.playout.remove(retiring.connection.number);
    retiring.connection.close();
    const { attempt } = retiring;
    const connection = attempt.connection;
    if (!connection || this._state === 'closed' || this._state === 'failed') return;
    // The report needs this generation's own snapshot (read right at the switch, normally).
    const snapshot = await this.monitor.snapshotOf(connection);
    if (!snapshot || this.ended) return;
    const report: RekeyReport = {
      generation: attempt.generation,
      reason: attempt.purpose as RekeyReason,
      handshakeMs: Math.max(0, (connection.connectedAt ?? now) - attempt.startedAt),
      overlapMs: Math.max(0, now - (connection.flowingAt ?? retiring.switchedAt)),
      previousFingerprint: retiring.previous?.localFingerprint ?? null,
      fingerprint: snapshot.localFingerprint,
      previousRemoteFingerprint: retiring.previous?.remoteFingerprint ?? null,
      remoteFingerprint: snapshot.remoteFingerprint,
      snapshot,
      handover: this.playout.handoverOf(attempt.generation),
    };
    this.safeEmit('rekey', report);
    for (const waiter of attempt.waiters) waiter.resolve(report);
  }

  private failAttempt(
    attempt: Attempt,
    code: RekeyFailure['code'],
    message: string,
    notifyRemote = true,
  ): void {
    if (this.attempt !== attempt) return;
    this.abandon(attempt);
    if (attempt.id) this.endAttempt(attempt.id);
    if (notifyRemote && attempt.id) this.send('abort', attempt.generation, { attempt: attempt.id });
    if (attempt.purpose === 'initial') {
      this.startWaiter?.reject(new RekeyRtcError('negotiation-failed', message));
      this.teardown('connection-failed');
      return;
    }
    const reason = attempt.purpose;
    if (this.current?.state === 'failed' || this.current?.state === 'closed') {
      this.recoveryFailures += 1;
      if (this.recoveryFailures >= MAX_RECOVERY_FAILURES) {
        this.rejectWaiters(attempt, new RekeyRtcError('negotiation-failed', message));
        this.sendBye('connection-failed');
        this.teardown('connection-failed');
        return;
      }
    }
    this.setState('connected');
    // The side that started the re-key retries it; the other side would only double the
    // attempts (and retry even with `rekey: false`). A dead current connection is everyone's.
    const dead = this.current?.state === 'failed';
    const retryInMs =
      reason !== 'remote' || dead ? this.scheduler.retry(dead ? 'recovery' : reason) : null;
    this.safeEmit('rekeyfailed', {
      generation: attempt.generation,
      reason,
      code,
      message,
      attempt: Math.max(1, this.scheduler.consecutiveFailures),
      retryInMs,
    });
    this.rejectWaiters(
      attempt,
      new RekeyRtcError('negotiation-failed', `re-key failed: ${message}`),
    );
  }

  /** Drops an attempt without reporting: its connection closes and its audio leaves the mix. */
  private abandon(attempt: Attempt): void {
    this.clearAttemptTimers(attempt);
    if (this.attempt === attempt) this.attempt = null;
    if (attempt.connection && attempt.connection !== this.current) {
      this.playout.remove(attempt.generation);
      attempt.connection.close();
    }
  }

  private endAttempt(id: string): void {
    this.endedAttempts.add(id);
    // A few are enough: only the attempts of the generation being built can still be in flight.
    if (this.endedAttempts.size > 16)
      this.endedAttempts.delete(this.endedAttempts.values().next().value as string);
  }

  private clearAttemptTimers(attempt: Attempt): void {
    this.platform.clearTimeout(attempt.timeoutTimer);
    this.platform.clearTimeout(attempt.resendTimer);
    attempt.timeoutTimer = null;
    attempt.resendTimer = null;
  }

  /** A re-key asked for while the last one was switching starts now. */
  private startDeferred(): void {
    const deferred = this.deferred;
    if (!deferred) return;
    this.deferred = null;
    this.enqueue(async () => {
      await this.beginRekey(deferred.reason);
      if (this.attempt) this.attempt.waiters.push(...deferred.waiters);
      else for (const waiter of deferred.waiters) waiter.reject(RekeyRtcError.closed());
    });
  }

  private rejectWaiters(attempt: Attempt, error: Error): void {
    for (const waiter of attempt.waiters.splice(0)) waiter.reject(error);
  }

  // ---- monitor and policy ----------------------------------------------------------------

  private onStats(snapshot: SecuritySnapshot): void {
    this.safeEmit('stats', snapshot);
    this.scheduler.observeBytes(snapshot.bytesSent + snapshot.bytesReceived);
  }

  /** Reports a broken rule, then does what the rule says: nothing more, re-key once, or close. */
  private onViolation(violation: Violation): void {
    this.safeEmit('violation', violation);
    if (violation.action === 'close') {
      this.sendBye(`policy:${violation.rule}`);
      this.teardown(`policy:${violation.rule}`, violation);
    } else if (violation.action === 'rekey' && !this.policyRekeys.has(violation.rule)) {
      this.policyRekeys.add(violation.rule);
      this.requestRekey('policy');
    }
  }

  // ---- telemetry -----------------------------------------------------------------------

  /** Records start once the call id is known: at start() for the caller, at hello for the callee. */
  private startRecording(): void {
    if (!this.telemetry || this.recording || !this._callId) return;
    this.recording = true;
    const { scheduled, intervalMs, maxBytes } = this.rekeyOptions;
    try {
      this.telemetry.attach(this, {
        callId: this._callId,
        role: this.role,
        policy: this.policy,
        rekey: scheduled ? { intervalMs, maxBytes } : null,
        sdkVersion: VERSION,
        browser: this.platform.engine,
        now: () => this.platform.now(),
      });
    } catch (error) {
      this.safeEmit('telemetryerror', { code: 'internal', message: describe(error) });
    }
  }

  // ---- plumbing --------------------------------------------------------------------------

  private send<K extends MessageKind>(
    kind: K,
    generation: number,
    body: Omit<
      Extract<SignalingMessage, { kind: K }>,
      'protocol' | 'v' | 'callId' | 'generation' | 'kind'
    >,
  ): void {
    if (!this._callId) return;
    try {
      this.options.send(makeMessage(kind, this._callId, generation, body));
    } catch (error) {
      this.safeEmit(
        'error',
        new RekeyRtcError(
          'signaling-send-failed',
          `send() threw while sending '${kind}': ${describe(error)}`,
          { cause: error },
        ),
      );
    }
  }

  private sendBye(reason: CloseReason): void {
    this.send('bye', this.current?.number ?? 0, { reason });
  }

  /** Runs signaling work one task at a time, so a re-key, a message and a close never interleave. */
  private enqueue(task: () => void | Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.safeEmit(
        'error',
        new RekeyRtcError('negotiation-failed', describe(error), { cause: error }),
      );
    });
  }

  private setState(next: CallState): void {
    if (next === this._state) return;
    if (!ALLOWED[this._state].includes(next)) return;
    this._state = next;
    this.safeEmit('state', next);
  }

  private teardown(reason: CloseReason, violation?: Violation): void {
    if (this._state === 'closed' || this._state === 'failed') return;
    const generation = this.current?.number ?? 0;
    const failed = reason === 'connection-failed' || reason === 'start-timeout';
    this.platform.clearTimeout(this.helloTimer);
    this.platform.clearTimeout(this.startTimer);
    this.helloTimer = this.startTimer = null;
    this.monitor.stop();
    this.scheduler.disarm();
    const attempt = this.attempt;
    if (attempt) {
      this.abandon(attempt);
      this.rejectWaiters(attempt, RekeyRtcError.closed());
    }
    if (this.retiring) {
      this.platform.clearTimeout(this.retiring.timer);
      this.retiring.connection.close();
      this.rejectWaiters(this.retiring.attempt, RekeyRtcError.closed());
      this.retiring = null;
    }
    for (const waiter of this.deferred?.waiters ?? []) waiter.reject(RekeyRtcError.closed());
    this.deferred = null;
    this.current?.close();
    this.playout.close();
    this.startWaiter?.reject(RekeyRtcError.closed());
    this.startWaiter = null;
    this.setState(failed ? 'failed' : 'closed');
    const info: CloseInfo = violation ? { reason, violation, generation } : { reason, generation };
    this.safeEmit('close', info);
    // After `close`, so the recorder has queued `session-end`; close() flushes what it can.
    // After `close`, so the recorder has queued `session-end`; close() flushes what it can.
    void this.telemetry?.close().catch(() => undefined);
  }

  /**
   * Emits to each listener on its own, so one listener's exception neither breaks the call nor
   * keeps later listeners (the telemetry recorder among them) from hearing the event.
   * eventemitter3 stops at the first throw, so its listener records are walked here: their
   * shape (`fn`, `context`, `once`) has been stable since v1.
   */
  private safeEmit<E extends keyof SecureCallEvents>(
    event: E,
    ...args: Parameters<SecureCallEvents[E]>
  ): void {
    const stored = (this as unknown as { _events?: Record<string, unknown> })._events?.[event];
    const records = (
      Array.isArray(stored) ? stored.slice() : stored ? [stored] : []
    ) as ListenerRecord[];
    if (!records.every((r) => typeof r?.fn === 'function')) {
      try {
        (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
      } catch (error) {
        reportListenerError(error);
      }
      return;
    }
    for (const record of records) {
      if (record.once) this.removeListener(event, record.fn as never, undefined, true);
      try {
        record.fn.apply(record.context, args);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }
}

interface ListenerRecord {
  fn: (...args: unknown[]) => void;
  context: unknown;
  once: boolean;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (report) report(error);
  else
    setTimeout(() => {
      throw error;
    });
}
