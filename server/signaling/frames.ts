/**
 * The demo signaling protocol: what a browser may send to the relay and what the relay sends
 * back. Every inbound frame is untrusted; `parseClientFrame` never throws.
 */

export type Role = 'caller' | 'callee';

/** Room ids are URL-safe so they can travel in `?room=`. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{6,64}$/;

/** Client → relay. */
export type ClientFrame =
  /**
   * Take the `role` seat of `room`. `resume` re-creates a room the relay does not know, for a
   * peer whose call outlived a relay restart (rooms live in memory only).
   */
  | { type: 'join'; room: string; role: Role; resume?: boolean }
  /** Relayed unchanged to the other peer of the room. */
  | { type: 'signal'; payload: unknown };

/** Stable error codes, shown to users by the demo pages. */
export type RelayErrorCode =
  | 'bad-frame'
  | 'too-large'
  | 'unknown-room'
  | 'role-taken'
  | 'room-full'
  | 'not-joined'
  | 'already-joined'
  | 'too-many-rooms';

/** Relay → client. */
export type ServerFrame =
  | { type: 'joined'; room: string; role: Role; peerPresent: boolean }
  | { type: 'peer-joined'; role: Role }
  | { type: 'peer-left'; role: Role }
  | { type: 'signal'; payload: unknown }
  /** `fatal` errors are followed by the relay closing the socket. */
  | { type: 'error'; code: RelayErrorCode; message: string; fatal: boolean };

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: 'bad-frame' | 'too-large'; message: string };

const bad = (message: string): ParseResult => ({ ok: false, code: 'bad-frame', message });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates one WebSocket frame: text, at most `maxBytes`, JSON, and one of the two shapes
 * with no unknown keys. Messages name what is wrong but never echo the input back.
 */
export function parseClientFrame(data: Buffer, isBinary: boolean, maxBytes: number): ParseResult {
  if (isBinary) return bad('frames must be JSON text, not binary');
  if (data.length > maxBytes) {
    return { ok: false, code: 'too-large', message: `frames must be at most ${maxBytes} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return bad('frame is not valid JSON');
  }
  if (!isPlainObject(value)) return bad('frame must be a JSON object');
  const type = value['type'];
  if (type === 'join') {
    for (const key of Object.keys(value)) {
      if (!['type', 'room', 'role', 'resume'].includes(key))
        return bad(`join: unknown field '${key.slice(0, 32)}'`);
    }
    const { room, role, resume } = value;
    if (typeof room !== 'string' || !ROOM_ID_PATTERN.test(room))
      return bad('join: room must be 6 to 64 characters of A-Z, a-z, 0-9, _ and -');
    if (role !== 'caller' && role !== 'callee')
      return bad("join: role must be 'caller' or 'callee'");
    if (resume !== undefined && typeof resume !== 'boolean')
      return bad('join: resume must be a boolean');
    return { ok: true, frame: { type: 'join', room, role, ...(resume ? { resume } : {}) } };
  }
  if (type === 'signal') {
    for (const key of Object.keys(value)) {
      if (key !== 'type' && key !== 'payload')
        return bad(`signal: unknown field '${key.slice(0, 32)}'`);
    }
    if (!('payload' in value) || value['payload'] === null || typeof value['payload'] !== 'object')
      return bad('signal: payload must be a JSON object or array');
    return { ok: true, frame: { type: 'signal', payload: value['payload'] } };
  }
  return bad("type must be 'join' or 'signal'");
}
