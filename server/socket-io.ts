/**
 * The socket.io binding of the host: the only server file that imports socket.io.
 * A batch is encoded once per tree audience: one WebSocket frame written to every idle websocket
 * line of the tree's room (see broadcastToRoom), one socket.io broadcast for the rest.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { Server as IoServer, type ServerOptions as IoServerOptions, type Socket } from 'socket.io';
import { encodeBatch, type AnyBatchArgs } from '../shared/codec.js';
import { DEFAULT_LIMITS, ErrorCode, ServerEvent, SyncError, type AnyTypeDef, type AttrMap, type TypeDef } from '../shared/index.js';
import { SyncHost, type HostOptions } from './host.js';
import type { Principal } from './hooks.js';
import type { Session } from './session.js';
import type { SessionLink } from './transport.js';
import type { Tree } from './tree.js';

/** Options of a {@link SyncServer}. */
export interface SyncServerOptions extends HostOptions {
  /** Attach to this http server instead of making one. */
  readonly httpServer?: HttpServer;
  /** socket.io server options (path, cors, ...). */
  readonly io?: Partial<IoServerOptions>;
}

/** Events of a SyncServer. */
export interface SyncServerEvents {
  connection: [session: Session];
  disconnect: [session: Session, reason: string];
}

/**
 * Hosts named trees on one socket.io server.
 * @example
 * const server = new SyncServer({ types: [Board, Card] });
 * const board = server.tree('board', Board);
 * board.root.create(Card, { title: 'first' });
 * await server.listen(3000);
 */
export class SyncServer extends EventEmitter<SyncServerEvents> {
  readonly host: SyncHost;
  readonly io: IoServer;
  readonly httpServer: HttpServer;
  readonly #ownsHttp: boolean;

  constructor(options: SyncServerOptions) {
    super();
    this.#ownsHttp = options.httpServer === undefined;
    this.httpServer = options.httpServer ?? createServer();
    const maxMessageBytes = options.limits?.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;
    this.io = new IoServer(this.httpServer, {
      serveClient: false,
      // Past our own limit a message is answered with TOO_LARGE; far past it, socket.io drops the connection.
      maxHttpBufferSize: maxMessageBytes * 4,
      ...options.io,
    });
    this.host = new SyncHost(
      options,
      (room, event, args) => void broadcastToRoom(this.io, room, event, args, this.host.limits.maxBufferedBytes),
      (links, event, args) => void sendToSockets(this.io, links.map((link) => link.id), event, args, this.host.limits.maxBufferedBytes),
    );
    this.io.use((socket, next) => {
      this.host.admit(socket.handshake.auth).then(
        (principal) => {
          (socket.data as { principal?: Principal }).principal = principal;
          next();
        },
        (error: unknown) => {
          const sync = error instanceof SyncError ? error : new SyncError(ErrorCode.INTERNAL, 'handshake failed');
          next(Object.assign(new Error(sync.message), { data: sync.toWire() }));
        },
      );
    });
    this.io.on('connection', (socket) => this.#connect(socket));
  }

  #connect(socket: Socket): void {
    const binary = wantsBinary(socket);
    const link: SessionLink = {
      id: socket.id,
      send: (event, ...args) => {
        if (event === ServerEvent.joined) deliver(socket, encodedJoined(args), false);
        else if (binary && event === ServerEvent.batch) {
          const encoded = new Encoded(event, args);
          deliver(socket, encoded, encoded.binaryPays);
        } else socket.emit(event, ...args);
      },
      join: (room) => void socket.join(room),
      leave: (room) => void socket.leave(room),
      close: () => void socket.disconnect(true),
    };
    let session: Session;
    try {
      session = this.host.open(link, socket.handshake.auth, (socket.data as { principal?: Principal }).principal);
    } catch {
      socket.disconnect(true);
      return;
    }
    socket.onAny((event: unknown, ...args: unknown[]) => session.receive(event, args));
    socket.on('disconnect', (reason) => {
      session.close();
      this.emit('disconnect', session, reason);
    });
    this.emit('connection', session);
  }

  /** Starts the http server listening; resolves to the port. Port 0 picks a free one. */
  listen(port = 0, hostname = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(port, hostname, () => {
        this.httpServer.off('error', reject);
        resolve(this.port);
      });
    });
  }

  /** The port the http server listens on. */
  get port(): number {
    return (this.httpServer.address() as AddressInfo | null)?.port ?? 0;
  }

  /** How many sessions are connected. */
  get sessionCount(): number {
    return this.host.sessions.size;
  }

  /** The tree with this name, created with `rootType` when it does not exist yet. */
  tree<R extends AttrMap>(name: string, rootType: TypeDef<string, R>): Tree<R>;
  /** The tree with this name; UNKNOWN_TREE when it does not exist. */
  tree(name: string): Tree;
  tree(name: string, rootType?: AnyTypeDef): Tree {
    return rootType === undefined ? this.host.tree(name) : this.host.tree(name, rootType);
  }

  /** Sends pending batches and disconnects everyone; closes the http server only when it made it. */
  async close(): Promise<void> {
    this.host.close();
    if (!this.#ownsHttp) {
      // io.close() would close the application's http server too. Closing the transports (not
      // disconnecting the sockets) lets clients reconnect by themselves when a server is back.
      this.io.engine.close();
      return;
    }
    await new Promise<void>((resolve) => {
      void this.io.close(() => resolve());
      this.httpServer.closeAllConnections();
    });
  }
}

/*
 * Broadcast fast path for socket.io rooms. socket.io encodes a broadcast once, but then runs
 * every packet through engine.io (packet events, write buffer, drain callbacks), ws and a stream
 * cork/writev per client. Here the WebSocket frame is built once and written straight to each
 * client's TCP socket when engine.io has nothing of its own queued or in flight for it (the
 * common case); otherwise, and for long-polling clients, the packet takes socket.io's own path,
 * so everything a client receives keeps its order.
 */

interface RawSocket {
  readonly writable: boolean;
  readonly writableLength?: number;
  write(data: Uint8Array): boolean;
}

/** The engine.io and ws internals this file relies on; each is checked at every use. */
interface EngineConn {
  readonly readyState?: unknown;
  readonly upgrading?: unknown;
  readonly writeBuffer?: { readonly length: number };
  readonly transport?: {
    readonly name?: unknown;
    readonly writable?: unknown;
    readonly socket?: { readonly readyState?: unknown; readonly _extensions?: Record<string, unknown>; readonly _socket?: RawSocket };
  };
}

/** A WebSocket text frame (unmasked: server to client) holding `payload`; a Buffer, which a TCP socket writes without wrapping it again. */
export function textFrame(payload: Uint8Array): Buffer {
  const head = frameHead(0x81, payload.length);
  const out = Buffer.allocUnsafe(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** The header of an unmasked WebSocket frame: `first` (FIN and opcode) and the payload length `n`. */
function frameHead(first: number, n: number): Uint8Array {
  const head = new Uint8Array(n < 126 ? 2 : n < 65_536 ? 4 : 10);
  const view = new DataView(head.buffer);
  head[0] = first;
  if (n < 126) head[1] = n;
  else if (n < 65_536) {
    head[1] = 126;
    view.setUint16(2, n);
  } else {
    head[1] = 127;
    view.setBigUint64(2, BigInt(n));
  }
  return head;
}

/** The TCP socket of a client whose websocket line is idle, or undefined when it must take socket.io's path. */
function idleLine(socket: Socket): RawSocket | undefined {
  const conn = socket.conn as unknown as EngineConn;
  const transport = conn.transport;
  const ws = transport?.socket;
  if (conn.readyState !== 'open' || conn.upgrading !== false || conn.writeBuffer?.length !== 0) return undefined;
  // writable: engine.io has no send of its own in flight; no extensions: no permessage-deflate.
  if (transport?.name !== 'websocket' || transport.writable !== true || ws?.readyState !== 1) return undefined;
  if (ws._extensions !== undefined && hasOwnKey(ws._extensions)) return undefined;
  const raw = ws._socket;
  return raw?.writable === true ? raw : undefined;
}

/** Whether an object has an own enumerable key (without allocating Object.keys per client per batch). */
function hasOwnKey(o: Record<string, unknown>): boolean {
  for (const key in o) if (Object.hasOwn(o, key)) return true;
  return false;
}

const utf8 = new TextEncoder();

/** Whether the client asked for binary batches in its handshake (`auth.batches === 'binary'`). */
function wantsBinary(socket: Socket): boolean {
  return (socket.handshake.auth as { batches?: unknown }).batches === 'binary';
}

/**
 * A batch in both encodings, each made on first use: the JSON socket.io packet, and the binary one
 * (socket.io's header packet for one attachment, then the attachment).
 */
class Encoded {
  #json: string | undefined;
  #jsonFrame: Buffer | undefined;
  #binary: Uint8Array | undefined;
  #binaryFrames: Buffer | undefined;

  constructor(
    readonly event: string,
    readonly args: readonly unknown[],
  ) {}

  /** socket.io's text encoding of an EVENT in namespace '/' (engine.io adds its message prefix '4'). */
  get json(): string {
    return (this.#json ??= `2${JSON.stringify([this.event, ...this.args])}`);
  }

  get jsonFrame(): Buffer {
    return (this.#jsonFrame ??= textFrame(utf8.encode(`4${this.json}`)));
  }

  get binary(): Uint8Array {
    return (this.#binary ??= encodeBatch(this.args as unknown as AnyBatchArgs));
  }

  /**
   * Whether the binary form is the smaller one. socket.io sends an attachment behind a header packet
   * of about 40 bytes, so a batch of a few small ops is smaller as JSON; a client that asked for
   * binary batches takes either form.
   */
  get binaryPays(): boolean {
    if (((this.args[2] as readonly unknown[] | undefined)?.length ?? 0) > SMALL_BATCH) return true;
    return this.binary.length + BINARY_OVERHEAD < this.json.length;
  }

  /** The header text frame and the binary frame, in one Buffer (one write, and no per-socket wrapping of a Uint8Array). */
  get binaryFrames(): Buffer {
    if (this.#binaryFrames !== undefined) return this.#binaryFrames;
    const body = this.binary;
    const head = frameHead(0x82, body.length);
    const both = Buffer.allocUnsafe(BATCH_HEADER_FRAME.length + head.length + body.length);
    both.set(BATCH_HEADER_FRAME);
    both.set(head, BATCH_HEADER_FRAME.length);
    both.set(body, BATCH_HEADER_FRAME.length + head.length);
    return (this.#binaryFrames = both);
  }
}

/** A batch of at most this many ops may go as JSON to a client that asked for binary, when that is smaller. */
const SMALL_BATCH = 4;
/** The bytes an attachment adds: the header packet and a second WebSocket frame header. */
const BINARY_OVERHEAD = 44;

/** socket.io's BINARY_EVENT header of a batch with one attachment, in namespace '/'; and as a WebSocket frame (engine.io's message prefix '4'), built once. */
const BATCH_HEADER = `51-${JSON.stringify([ServerEvent.batch, { _placeholder: true, num: 0 }])}`;
const BATCH_HEADER_FRAME = textFrame(utf8.encode(`4${BATCH_HEADER}`));

/**
 * Emits `event` with `args` to every socket of `room` in the default namespace, encoded once, and
 * returns how many sockets took the fast path. The others (busy or long-polling lines) get the same
 * encoded packet through engine.io, which keeps their order.
 */
export function broadcastToRoom(io: IoServer, room: string, event: string, args: readonly unknown[], maxBufferedBytes = Number.POSITIVE_INFINITY): number {
  const ids = io.sockets.adapter.rooms.get(room);
  if (ids === undefined || ids.size === 0) return 0;
  return sendToSockets(io, ids, event, args, maxBufferedBytes);
}

/** Emits `event` with `args` to the sockets with these ids, encoded once (see {@link broadcastToRoom}); returns how many took the fast path. */
export function sendToSockets(io: IoServer, ids: Iterable<string>, event: string, args: readonly unknown[], maxBufferedBytes = Number.POSITIVE_INFINITY): number {
  const encoded = new Encoded(event, args);
  const batch = event === ServerEvent.batch;
  let direct = 0;
  for (const id of ids) {
    const socket = io.sockets.sockets.get(id);
    if (socket === undefined) continue;
    if (deliver(socket, encoded, batch && wantsBinary(socket) && encoded.binaryPays)) direct++;
    if (buffered(socket) > maxBufferedBytes) dropSlow(socket);
  }
  return direct;
}

/** Writes an encoded packet to one socket: straight to its TCP socket when the line is idle (returns true), else through engine.io. */
function deliver(socket: Socket, encoded: Encoded, binary: boolean): boolean {
  const line = idleLine(socket);
  if (line !== undefined) {
    line.write(binary ? encoded.binaryFrames : encoded.jsonFrame);
    return true;
  }
  if (socket.conn.readyState !== 'open') return false;
  // What socket.io's own emit does after encoding (Client.writeToEngine), without encoding again.
  if (binary) {
    socket.conn.write(BATCH_HEADER);
    const body = encoded.binary;
    socket.conn.write(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  } else socket.conn.write(encoded.json);
  return false;
}

/** The encoded `joined` of a tree snapshot, by the snapshot (a tree keeps one until it changes) and the rest of the message. */
const joinedCache = new WeakMap<object, { readonly rest: string; readonly encoded: Encoded }>();

/**
 * `joined` encoded once per tree version: every session that joins while the tree is unchanged
 * (50 at once after a restart) gets the same packet, without socket.io encoding (and walking for
 * binary data) the whole snapshot again.
 */
function encodedJoined(args: readonly unknown[]): Encoded {
  const message = args[0] as { readonly snapshot?: unknown } | undefined;
  const snapshot = message?.snapshot;
  if (args.length !== 1 || !Array.isArray(snapshot)) return new Encoded(ServerEvent.joined, args);
  const rest = JSON.stringify({ ...message, snapshot: undefined });
  const hit = joinedCache.get(snapshot);
  if (hit?.rest === rest) return hit.encoded;
  const encoded = new Encoded(ServerEvent.joined, args);
  joinedCache.set(snapshot, { rest, encoded });
  return encoded;
}

/** Bytes (roughly) waiting to go to a client: in its TCP socket, plus engine.io's queued packets. */
function buffered(socket: Socket): number {
  const conn = socket.conn as unknown as EngineConn;
  const tcp = conn.transport?.socket?._socket?.writableLength ?? 0;
  // Queued packets are mostly batches; count them at a typical size rather than walk them.
  return tcp + (conn.writeBuffer?.length ?? 0) * 256;
}

/** Disconnects a client that does not read: its buffer would grow without bound, and slow no one else. */
function dropSlow(socket: Socket): void {
  socket.emit(ServerEvent.error, new SyncError(ErrorCode.SLOW_CLIENT, 'this client did not read fast enough and was disconnected').toWire());
  socket.disconnect(true);
}
