/**
 * The app's signaling channel between two calls, with controllable delay, loss, duplication and
 * reordering, and a tap recording every message. Messages cross as JSON text (as over a
 * WebSocket) and are parsed again on the other side, so non-serialisable content shows.
 * Delivery runs on the global (fake) timers.
 */
export type Side = 'a' | 'b';

export interface Tapped {
  from: Side;
  to: Side;
  /** The message as sent (parsed back from JSON). */
  message: Record<string, unknown>;
  at: number;
  dropped: boolean;
  duplicated: boolean;
}

type Rule = (message: Record<string, unknown>, from: Side) => boolean;

export interface Receiver {
  receive(message: unknown): void;
}

export class FakeSignaling {
  /** One-way delay. */
  delayMs = 10;
  /** Return true to drop the message. */
  drop: Rule = () => false;
  /** Return true to deliver the message twice. */
  duplicate: Rule = () => false;
  /** Extra delay for one message (reordering: a later message may overtake it). */
  extraDelayMs: (message: Record<string, unknown>, from: Side) => number = () => 0;
  /** Return true to make the sender's `send()` throw (a closed socket), as the app's would. */
  throwOnSend: Rule = () => false;
  /** Deliver as JSON strings instead of objects. */
  asText = false;
  readonly tap: Tapped[] = [];
  private readonly ends: Partial<Record<Side, Receiver>> = {};
  private inFlight = 0;

  /** The `send` option for side `from`. */
  sender(from: Side): (message: unknown) => void {
    return (message) => this.transmit(from, message);
  }

  attach(side: Side, receiver: Receiver): void {
    this.ends[side] = receiver;
  }

  /** Messages seen on the wire, optionally filtered. */
  sent(filter: { from?: Side; kind?: string; delivered?: boolean } = {}): Tapped[] {
    return this.tap.filter(
      (t) =>
        (filter.from === undefined || t.from === filter.from) &&
        (filter.kind === undefined || t.message['kind'] === filter.kind) &&
        (filter.delivered === undefined || t.dropped !== filter.delivered),
    );
  }

  get pending(): number {
    return this.inFlight;
  }

  private transmit(from: Side, message: unknown): void {
    const to: Side = from === 'a' ? 'b' : 'a';
    const text = JSON.stringify(message);
    const copy = JSON.parse(text) as Record<string, unknown>;
    if (this.throwOnSend(copy, from)) throw new Error('fake signaling: socket closed');
    const dropped = this.drop(copy, from);
    const duplicated = !dropped && this.duplicate(copy, from);
    this.tap.push({ from, to, message: copy, at: Date.now(), dropped, duplicated });
    if (dropped) return;
    const delay = this.delayMs + this.extraDelayMs(copy, from);
    for (let i = 0; i < (duplicated ? 2 : 1); i++) {
      this.inFlight += 1;
      setTimeout(() => {
        this.inFlight -= 1;
        this.ends[to]?.receive(this.asText ? text : (JSON.parse(text) as unknown));
      }, delay + i);
    }
  }
}
