// The app's signaling channel, played by the test: whatever one page's SecureCall hands to
// `send` is JSON round-tripped (as a real network would) and given to the other page's
// `receive`, in order, with an optional delay and an optional filter for failure tests.
import type { Page } from '@playwright/test';

export type Direction = 'a->b' | 'b->a';

export interface RelayOptions {
  /** One-way delay per message. @default 0 */
  delayMs?: number;
  /** Return false to drop a message (for failure tests). */
  filter?: (message: unknown, direction: Direction) => boolean;
}

export interface RelayedMessage {
  direction: Direction;
  message: unknown;
  delivered: boolean;
  /** Why delivery failed, when it did (e.g. the page was closed). */
  error?: string;
}

export interface Relay {
  /** Every message sent, in send order, dropped ones included (delivered: false). */
  readonly log: RelayedMessage[];
  /** Resolves when every accepted message so far has been delivered (or failed). */
  idle(): Promise<void>;
  /** Stop delivering; later messages are logged and dropped. */
  stop(): void;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export async function relaySignaling(
  pageA: Page,
  pageB: Page,
  options: RelayOptions = {},
): Promise<Relay> {
  const delayMs = options.delayMs ?? 0;
  const log: RelayedMessage[] = [];
  let stopped = false;
  // One delivery chain per direction keeps order even with a delay: each message is due at its
  // send time + delay, and is delivered after the one before it.
  const chains: Record<Direction, Promise<void>> = {
    'a->b': Promise.resolve(),
    'b->a': Promise.resolve(),
  };

  const forward = (direction: Direction, target: Page) => (raw: unknown) => {
    const message: unknown = JSON.parse(JSON.stringify(raw ?? null));
    const entry: RelayedMessage = { direction, message, delivered: false };
    log.push(entry);
    if (stopped || (options.filter && !options.filter(message, direction))) return;
    const due = Date.now() + delayMs;
    chains[direction] = chains[direction].then(async () => {
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (stopped || target.isClosed()) return;
      try {
        await target.evaluate((m) => window.__receiveFromPeer(m), message);
        entry.delivered = true;
      } catch (error) {
        entry.error = String(error);
      }
    });
  };

  await pageA.exposeFunction('__sendToPeer', forward('a->b', pageB));
  await pageB.exposeFunction('__sendToPeer', forward('b->a', pageA));

  return {
    log,
    idle: async () => {
      await Promise.all([chains['a->b'], chains['b->a']]);
    },
    stop: () => {
      stopped = true;
    },
  };
}
