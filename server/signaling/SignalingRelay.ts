/**
 * A WebSocket signaling relay for the demo: rooms of exactly two peers, one caller and one
 * callee, whose `signal` frames are passed to the other peer unchanged. Frames carry SDP, so
 * nothing here logs their contents: only room ids, roles and error codes.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { parseClientFrame, type RelayErrorCode, type Role, type ServerFrame } from './frames.js';

export interface SignalingRelayOptions {
  /** Largest accepted frame in bytes; SDP with candidates is a few KB. @default 65_536 */
  maxFrameBytes?: number;
  /** Ping period; a socket that misses one pong is dropped. @default 15_000 */
  heartbeatMs?: number;
  /** A room with nobody in it is forgotten after this long. @default 1_800_000 (30 min) */
  roomIdleMs?: number;
  /** Most rooms at once. @default 1_000 */
  maxRooms?: number;
  /** Invalid frames tolerated per socket before it is closed. @default 20 */
  maxBadFrames?: number;
  /** One line per event (join, leave, errors). No message contents ever reach it. */
  log?: (line: string) => void;
}

interface Peer {
  socket: WebSocket;
  room: Room | null;
  role: Role | null;
  alive: boolean;
  badFrames: number;
}

interface Room {
  id: string;
  seats: Partial<Record<Role, Peer>>;
  /** When the room last became empty (or was created). */
  emptySince: number | null;
}

const OTHER: Record<Role, Role> = { caller: 'callee', callee: 'caller' };

/** WebSocket close codes (RFC 6455 §7.4.1). */
const POLICY_VIOLATION = 1008;
const GOING_AWAY = 1001;

export class SignalingRelay {
  private readonly wss: WebSocketServer;
  private readonly rooms = new Map<string, Room>();
  private readonly peers = new Set<Peer>();
  private readonly maxFrameBytes: number;
  private readonly roomIdleMs: number;
  private readonly maxRooms: number;
  private readonly maxBadFrames: number;
  private readonly log: (line: string) => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(options: SignalingRelayOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 65_536;
    this.roomIdleMs = options.roomIdleMs ?? 1_800_000;
    this.maxRooms = options.maxRooms ?? 1_000;
    this.maxBadFrames = options.maxBadFrames ?? 20;
    this.log = options.log ?? (() => undefined);
    // ws closes the socket (1009) above maxPayload before buffering it; below that, our own
    // check answers with a readable error and keeps the socket.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxFrameBytes * 4 });
    this.wss.on('connection', (socket) => this.onConnection(socket));
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Creates an empty room and returns its id (URL-safe, unguessable). */
  createRoom(): string {
    this.sweep();
    if (this.rooms.size >= this.maxRooms) throw new Error('too many rooms');
    const id = randomBytes(9).toString('base64url');
    this.rooms.set(id, { id, seats: {}, emptySince: Date.now() });
    this.log(`room ${id}: created`);
    return id;
  }

  hasRoom(id: string): boolean {
    return this.rooms.has(id);
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /** Serves WebSocket upgrades of `server` at `path`; other upgrade paths get a 404. */
  attach(server: Server, path = '/signal'): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== path) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
    });
  }

  /** Closes every socket and stops the heartbeat. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const sockets = [...this.peers].map((peer) => peer.socket);
    for (const socket of sockets) socket.close(GOING_AWAY, 'server shutting down');
    // Give the closing handshakes a moment, then cut whatever did not answer.
    const deadline = Date.now() + 500;
    while (sockets.some((s) => s.readyState !== WebSocket.CLOSED) && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 20));
    }
    for (const socket of sockets) socket.terminate();
    await new Promise<void>((done) => this.wss.close(() => done()));
  }

  private onConnection(socket: WebSocket): void {
    const peer: Peer = { socket, room: null, role: null, alive: true, badFrames: 0 };
    this.peers.add(peer);
    socket.on('pong', () => {
      peer.alive = true;
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      try {
        this.onFrame(peer, toBuffer(data), isBinary);
      } catch (error) {
        // A bug here must cost one socket, never the process.
        this.log(`relay: internal error (${(error as Error).name})`);
        this.fail(peer, 'bad-frame', 'the relay could not handle this frame', true);
      }
    });
    socket.on('error', (error) => {
      // E.g. a frame over maxPayload (ws then closes with 1009), or a protocol error.
      this.log(`relay: socket error (${(error as { code?: string }).code ?? error.name})`);
    });
    socket.on('close', () => this.leave(peer));
  }

  private onFrame(peer: Peer, data: Buffer, isBinary: boolean): void {
    const parsed = parseClientFrame(data, isBinary, this.maxFrameBytes);
    if (!parsed.ok) {
      peer.badFrames += 1;
      const fatal = peer.badFrames > this.maxBadFrames;
      this.fail(peer, parsed.code, parsed.message, fatal);
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'join') {
      this.join(peer, frame.room, frame.role, frame.resume === true);
      return;
    }
    if (!peer.room || !peer.role) {
      this.fail(peer, 'not-joined', 'join a room before sending signals', false);
      return;
    }
    const other = peer.room.seats[OTHER[peer.role]];
    // No one to hear it: drop it. The SDK resends what matters until it is answered.
    if (other) send(other.socket, { type: 'signal', payload: frame.payload });
  }

  private join(peer: Peer, roomId: string, role: Role, resume: boolean): void {
    if (peer.room) {
      this.fail(
        peer,
        'already-joined',
        `this connection is already in room ${peer.room.id}`,
        false,
      );
      return;
    }
    let room = this.rooms.get(roomId);
    if (!room && resume) {
      this.sweep();
      if (this.rooms.size >= this.maxRooms) {
        this.fail(peer, 'too-many-rooms', 'the relay has too many rooms open', true);
        return;
      }
      room = { id: roomId, seats: {}, emptySince: Date.now() };
      this.rooms.set(roomId, room);
      this.log(`room ${roomId}: resumed after a relay restart`);
    }
    if (!room) {
      this.fail(peer, 'unknown-room', 'this room does not exist (or has expired)', true);
      return;
    }
    if (room.seats.caller && room.seats.callee) {
      this.fail(peer, 'room-full', 'this room already has a caller and a callee', true);
      return;
    }
    if (room.seats[role]) {
      this.fail(peer, 'role-taken', `this room already has a ${role} (another tab?)`, true);
      return;
    }
    room.seats[role] = peer;
    room.emptySince = null;
    peer.room = room;
    peer.role = role;
    const other = room.seats[OTHER[role]];
    send(peer.socket, { type: 'joined', room: room.id, role, peerPresent: other !== undefined });
    if (other) send(other.socket, { type: 'peer-joined', role });
    this.log(`room ${room.id}: ${role} joined`);
  }

  private leave(peer: Peer): void {
    this.peers.delete(peer);
    const { room, role } = peer;
    if (!room || !role || room.seats[role] !== peer) return;
    delete room.seats[role];
    peer.room = null;
    const other = room.seats[OTHER[role]];
    if (other) send(other.socket, { type: 'peer-left', role });
    else room.emptySince = Date.now();
    this.log(`room ${room.id}: ${role} left`);
  }

  private fail(peer: Peer, code: RelayErrorCode, message: string, fatal: boolean): void {
    send(peer.socket, { type: 'error', code, message, fatal });
    if (fatal) peer.socket.close(POLICY_VIOLATION, code);
    this.log(`relay: ${code}${fatal ? ' (closed)' : ''}`);
  }

  private beat(): void {
    for (const peer of this.peers) {
      if (!peer.alive) {
        this.log(`relay: dropped a socket that missed a heartbeat`);
        peer.socket.terminate(); // 'close' follows and frees the seat
        continue;
      }
      peer.alive = false;
      peer.socket.ping();
    }
    this.sweep();
  }

  /** Forgets rooms that stayed empty longer than roomIdleMs. */
  private sweep(): void {
    const now = Date.now();
    for (const [id, room] of this.rooms) {
      if (room.emptySince !== null && now - room.emptySince > this.roomIdleMs)
        this.rooms.delete(id);
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function send(socket: WebSocket, frame: ServerFrame): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}
