/**
 * treesync's protocol spoken by hand (docs/protocol.md), for the bench's protocol-level clients
 * (bench/clients.ts, bench/peers/treesync-*.ts): they measure the server and the wire, not a
 * mirror. Each asks for binary batches (`batches: 'binary'` in its handshake auth): every `b`
 * then arrives as ONE binary argument that `decodeBatch` (shared/codec.ts) turns into the JSON
 * form's arguments. A `b` in the JSON form is read as well.
 */
import { io, type Socket } from 'socket.io-client';
import { decodeBatch, isBinary } from '../../shared/codec.js';
import { PROTOCOL_VERSION, type ClientToServerEvents, type JoinedMessage, type Op, type ServerToClientEvents } from '../../shared/index.js';

/** A socket speaking treesync's protocol. */
export type ProtocolSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** One `b` batch, decoded: its ops cover the seqs `firstSeq .. lastSeq` (filtered: fewer ops than seqs). */
export interface Batch {
  readonly ref: number;
  readonly firstSeq: number;
  readonly ops: readonly Op[];
  readonly lastSeq: number;
}

/** The handshake auth of a protocol-level client: protocol version, client id, binary batches, and `extra` (e.g. a group). */
export function protocolAuth(clientId: string, extra: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return { ...extra, v: PROTOCOL_VERSION, clientId, batches: 'binary' };
}

/** The arguments of a `b` event as a Batch, decoding the binary form. */
export function batchOf(args: readonly unknown[]): Batch {
  const first = args[0];
  const decoded = args.length === 1 && isBinary(first) ? decodeBatch(first) : args;
  const [ref, firstSeq, ops, , lastSeq] = decoded as [number, number, readonly Op[], unknown, number | undefined];
  return { ref, firstSeq, ops, lastSeq: lastSeq ?? firstSeq + ops.length - 1 };
}

/** Calls `fn` with every batch the socket receives, decoded. */
export function onBatch(socket: ProtocolSocket, fn: (batch: Batch) => void): void {
  (socket as unknown as Socket).on('b', (...args: unknown[]) => fn(batchOf(args)));
}

/**
 * A protocol-level socket (websocket only, its own engine), asking for binary batches; `onConnect`
 * runs on every connect (e.g. to count the bytes of the new transport: bench/lib/wire.ts).
 */
export function protocolSocket(url: string, clientId: string, options: { readonly extra?: Readonly<Record<string, unknown>>; readonly onConnect?: (socket: ProtocolSocket) => void } = {}): ProtocolSocket {
  const socket: ProtocolSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: protocolAuth(clientId, options.extra) });
  const { onConnect } = options;
  if (onConnect !== undefined) socket.on('connect', () => onConnect(socket));
  return socket;
}

/** Resolves with the `joined` answer once the socket joined `tree` (it emits `join` after each `welcome`, with `since` when given). */
export function joinTree(socket: ProtocolSocket, tree: string, since?: () => { seq: number; epoch: string } | undefined): Promise<JoinedMessage> {
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('error', (e) => reject(new Error(`${e.code}: ${e.message}`)));
    socket.on('welcome', () => {
      const from = since?.();
      socket.emit('join', from === undefined ? { tree } : { tree, since: from.seq, epoch: from.epoch });
    });
    socket.once('joined', resolve);
  });
}
