import type { CloseReason, RekeyReason } from '../types.js';

/** Protocol version carried by every message; a peer ignores versions it does not speak. */
export const PROTOCOL_VERSION = 1;

interface Envelope {
  /** Marks our messages among whatever else the app's signaling carries. */
  protocol: 'rekey-rtc';
  v: typeof PROTOCOL_VERSION;
  callId: string;
  /** The generation (peer connection) the message belongs to. */
  generation: number;
}

/** Caller → callee: opens the call and names the caller's engine. Resent until acknowledged. */
export interface HelloMessage extends Envelope {
  kind: 'hello';
  engine: string;
}
/** Callee → caller: accepts the call id and names the callee's engine. */
export interface HelloAckMessage extends Envelope {
  kind: 'hello-ack';
  engine: string;
}
/** Non-offerer → offerer: please build the next generation. */
export interface RekeyRequestMessage extends Envelope {
  kind: 'rekey-request';
  reason: RekeyReason;
}
export interface OfferMessage extends Envelope {
  kind: 'offer';
  /** Distinguishes retries of the same generation: answers to an older attempt are ignored. */
  attempt: string;
  sdp: string;
}
export interface AnswerMessage extends Envelope {
  kind: 'answer';
  attempt: string;
  sdp: string;
}
/** This side now plays the new generation; once both have, the old one is closed. */
export interface SwitchedMessage extends Envelope {
  kind: 'switched';
  attempt: string;
}
/** This side gave up on an attempt; the other side drops it too. */
export interface AbortMessage extends Envelope {
  kind: 'abort';
  attempt: string;
}
export interface ByeMessage extends Envelope {
  kind: 'bye';
  reason: CloseReason;
}

export type SignalingMessage =
  | HelloMessage
  | HelloAckMessage
  | RekeyRequestMessage
  | OfferMessage
  | AnswerMessage
  | SwitchedMessage
  | AbortMessage
  | ByeMessage;

export type MessageKind = SignalingMessage['kind'];
type Body<K extends MessageKind> = Omit<
  Extract<SignalingMessage, { kind: K }>,
  keyof Envelope | 'kind'
>;

/** Builds a message with its envelope. */
export function makeMessage<K extends MessageKind>(
  kind: K,
  callId: string,
  generation: number,
  body: Body<K>,
): Extract<SignalingMessage, { kind: K }> {
  return {
    protocol: 'rekey-rtc',
    v: PROTOCOL_VERSION,
    callId,
    generation,
    kind,
    ...body,
  } as Extract<SignalingMessage, { kind: K }>;
}

/** Why `parseMessage` refused a message. */
export class MalformedMessage extends Error {
  override readonly name = 'MalformedMessage';
}

const ID = /^[A-Za-z0-9_-]{8,64}$/;
// SDP is bounded so a hostile peer cannot make us parse megabytes; a voice offer is ~2-6 KB.
const MAX_SDP = 64 * 1024;
const REASONS: readonly RekeyReason[] = [
  'interval',
  'bytes',
  'manual',
  'remote',
  'policy',
  'recovery',
];

function field(
  o: Record<string, unknown>,
  name: string,
  ok: (v: unknown) => boolean,
  want: string,
) {
  if (!ok(o[name])) throw new MalformedMessage(`field '${name}' must be ${want}`);
  return o[name];
}
const isId = (v: unknown) => typeof v === 'string' && ID.test(v);
const isShort = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 64;
const isSdp = (v: unknown) => typeof v === 'string' && v.startsWith('v=0') && v.length <= MAX_SDP;

/**
 * Validates a message from the network. Returns null for messages that are not ours (another
 * protocol on the same channel); throws MalformedMessage for ours that are broken.
 */
export function parseMessage(input: unknown): SignalingMessage | null {
  let value = input;
  if (typeof value === 'string') {
    if (value.length > MAX_SDP + 4096) throw new MalformedMessage('message too large');
    try {
      value = JSON.parse(value);
    } catch {
      throw new MalformedMessage('message is not JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedMessage('message must be an object');
  }
  const o = value as Record<string, unknown>;
  if (o['protocol'] !== 'rekey-rtc') return null;
  field(o, 'v', (v) => v === PROTOCOL_VERSION, `${PROTOCOL_VERSION}`);
  field(o, 'callId', isId, 'an id of 8-64 letters, digits, _ or -');
  field(o, 'generation', (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'an integer >= 0');
  const kind = o['kind'];
  switch (kind) {
    case 'hello':
    case 'hello-ack':
      field(o, 'engine', isShort, 'a short string');
      break;
    case 'rekey-request':
      field(o, 'reason', (v) => REASONS.includes(v as RekeyReason), `one of ${REASONS.join(', ')}`);
      break;
    case 'offer':
    case 'answer':
      field(o, 'attempt', isId, 'an attempt id');
      field(o, 'sdp', isSdp, 'an SDP string of at most 64 KiB');
      break;
    case 'switched':
    case 'abort':
      field(o, 'attempt', isId, 'an attempt id');
      break;
    case 'bye':
      field(o, 'reason', isShort, 'a close reason');
      break;
    default:
      throw new MalformedMessage(
        `unknown message kind ${JSON.stringify(String(kind)).slice(0, 40)}`,
      );
  }
  return o as unknown as SignalingMessage;
}
