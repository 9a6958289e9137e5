/**
 * The wire protocol: version, event names, message shapes in both directions, limits.
 * docs/protocol.md is the prose description of this file.
 */
import { ErrorCode, fail, type WireError } from './errors.js';
import type { ObjectId, Op } from './ops.js';
import type { Json } from './json.js';
import type { WireType } from './schema.js';

/** Bumped on every incompatible change of the wire protocol (2: `joined` carries a {@link FlatSnapshot}). */
export const PROTOCOL_VERSION = 2;

/** The client id of the server itself, as an origin. */
export const SERVER_ORIGIN = 'server';

/** Events a client sends. */
export const ClientEvent = {
  join: 'join',
  leave: 'leave',
  propose: 'propose',
} as const;
/** One of the {@link ClientEvent} names. */
export type ClientEvent = (typeof ClientEvent)[keyof typeof ClientEvent];

/** Events the server sends. */
export const ServerEvent = {
  welcome: 'welcome',
  joined: 'joined',
  batch: 'b',
  ack: 'ack',
  reject: 'reject',
  error: 'error',
} as const;
/** One of the {@link ServerEvent} names. */
export type ServerEvent = (typeof ServerEvent)[keyof typeof ServerEvent];

/** What a client sends in socket.io's handshake `auth`. */
export interface HelloAuth {
  /** {@link PROTOCOL_VERSION} of the client. */
  readonly v: number;
  /** The client's stable GUID, kept across reconnects. */
  readonly clientId: string;
  /** `'binary'`: send this client its batches (`b`) in the binary form (shared/codec.ts, docs/protocol.md); otherwise JSON. */
  readonly batches?: 'binary' | 'json';
  /** Anything else the application passes (tokens); the server's hooks read it. */
  readonly [extra: string]: unknown;
}

/** Limits the server enforces; sent in the welcome so a client can respect them. */
export interface Limits {
  /** Largest inbound message, in bytes. */
  readonly maxMessageBytes: number;
  /** Most operations in one proposal. */
  readonly maxOpsPerProposal: number;
  /** Longest tree name. */
  readonly maxTreeName: number;
  /** Most objects in one tree; a client's create beyond it is refused with TREE_FULL (server code is not limited). */
  readonly maxObjectsPerTree: number;
  /** Messages a session may send per second on average (a token bucket); beyond, RATE_LIMITED. */
  readonly messagesPerSecond: number;
  /** Messages a session may send at once after a quiet spell (the bucket's size). */
  readonly messageBurst: number;
  /** Bytes waiting to be written to one client past which it is disconnected (SLOW_CLIENT), so it slows no one else. */
  readonly maxBufferedBytes: number;
}

/** The defaults of {@link Limits}. */
export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 1_000_000,
  maxOpsPerProposal: 1_000,
  maxTreeName: 200,
  maxObjectsPerTree: 1_000_000,
  messagesPerSecond: 5_000,
  messageBurst: 10_000,
  maxBufferedBytes: 32 * 1024 * 1024,
};

/**
 * `join`: subscribe to a tree. `since` is the last seq the client applied, when it has a mirror,
 * and `epoch` the tree's epoch from the `joined` that mirror came from.
 */
export interface JoinMessage {
  readonly type: 'join';
  readonly tree: string;
  readonly since?: number;
  readonly epoch?: string;
}

/** `leave`: unsubscribe from a tree. */
export interface LeaveMessage {
  readonly type: 'leave';
  readonly tree: string;
}

/** `propose`: a mutation or transaction, applied all-or-nothing. */
export interface ProposeMessage {
  readonly type: 'propose';
  readonly tree: string;
  /** Unique per client id and increasing; answered by `ack` or `reject` with the same opId. */
  readonly opId: number;
  /** The seq of the client's mirror when it proposed (informational). */
  readonly baseSeq: number;
  /**
   * Every opId up to this one has been answered and the answer received: the server may forget
   * those answers. It keeps the rest, so that a resend gets its answer again.
   */
  readonly seen?: number;
  readonly ops: readonly Op[];
}

/** Every message a client sends, as parsed. */
export type ClientMessage = JoinMessage | LeaveMessage | ProposeMessage;

/** An object of a tree as the server keeps and stores it: `[id, typeIndex, parent, values in attribute order]`; parents come before children, siblings in order. */
export type WireObject = readonly [id: ObjectId, type: number, parent: ObjectId, values: readonly Json[]];

/**
 * A snapshot as `joined` carries it: one flat array of the objects, parents before children and
 * siblings in order, each as `id, typeIndex, parent (-1 for the root), n, value 1, …, value n` (its
 * n attribute values in attribute order). One array rather than an array per object: a client
 * parses and keeps a 10,000-object snapshot with about half the heap objects, so that a join
 * costs less to parse and to collect. {@link flattenSnapshot} and {@link unflattenSnapshot}
 * convert from and to {@link WireObject}s.
 */
export type FlatSnapshot = readonly Json[];

/** Fields before an object's values in a {@link FlatSnapshot}: id, typeIndex, parent, n. */
export const FLAT_HEAD = 4;

/** Writes objects as a {@link FlatSnapshot} (the values are the objects' own, not copies). */
export function flattenSnapshot(objects: readonly WireObject[]): Json[] {
  const flat: Json[] = [];
  for (const [id, type, parent, values] of objects) pushFlat(flat, id, type, parent, values);
  return flat;
}

/** Appends one object to a {@link FlatSnapshot} being built. */
export function pushFlat(flat: Json[], id: ObjectId, type: number, parent: ObjectId, values: readonly Json[]): void {
  flat.push(id, type, parent, values.length);
  for (let k = 0; k < values.length; k++) flat.push(values[k] as Json);
}

/** Reads a {@link FlatSnapshot} back as {@link WireObject}s (for tools and tests); BAD_MESSAGE if it is not one. */
export function unflattenSnapshot(flat: unknown): WireObject[] {
  if (!Array.isArray(flat)) fail(ErrorCode.BAD_MESSAGE, 'a snapshot must be an array');
  const objects: WireObject[] = [];
  for (let at = 0; at < flat.length; ) {
    const [id, type, parent, n] = [flat[at], flat[at + 1], flat[at + 2], flat[at + 3]] as unknown[];
    if (!isInt(id) || !isInt(type) || !isInt(parent) || !isInt(n) || n < 0 || at + FLAT_HEAD + n > flat.length) {
      fail(ErrorCode.BAD_MESSAGE, `snapshot object at ${at} is not id, type, parent, n, values`, at);
    }
    objects.push([id, type, parent, flat.slice(at + FLAT_HEAD, at + FLAT_HEAD + n) as Json[]]);
    at += FLAT_HEAD + n;
  }
  return objects;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** `welcome`: the first message after connecting. */
export interface WelcomeMessage {
  readonly v: number;
  readonly clientId: string;
  /** Every registered type; a type's position is its typeIndex in create ops and snapshots. */
  readonly types: readonly WireType[];
  readonly limits: Limits;
  /** The highest opId the server has answered for this client id (0 if none); new opIds must be greater. */
  readonly lastOpId: number;
  /**
   * Whether the server has a record of this client id (its last opId and unreleased answers).
   * `false` for a new client id, or one whose record the server pruned or lost: a client holding
   * proposals that already had opIds must then treat their outcome as unknown and not resend them,
   * since the server can no longer tell a resend from a new proposal. Absent from servers that
   * predate it.
   */
  readonly known?: boolean;
}

/**
 * `joined`: the answer to a join. With `snapshot`, the tree at `seq` (the root first, with parent -1).
 * Without it, the server sends the scribes after the client's `since` as a batch right after.
 */
export interface JoinedMessage {
  readonly tree: string;
  /** The number that names this tree in batches. */
  readonly ref: number;
  readonly seq: number;
  /**
   * Names this incarnation of the tree's history. A seq means something only within one epoch: a
   * rejoin with another epoch (the server restarted without a durable store) gets a snapshot.
   */
  readonly epoch: string;
  readonly snapshot?: FlatSnapshot;
}

/**
 * A batch of scribes: `[ref, firstSeq, ops, origins?]`. Scribe i has seq `firstSeq + i`.
 * `origins` is run-length: `[[count, clientId], ...]` covering the ops in order; absent when all came from the server.
 */
export type BatchArgs = readonly [ref: number, firstSeq: number, ops: readonly Op[], origins?: readonly (readonly [number, string])[]];

/** `ack`: a proposal was applied; `seq` is its last scribe's seq, `ids` the ids of the objects it created, in order. */
export interface AckMessage {
  readonly opId: number;
  readonly seq: number;
  readonly ids?: readonly ObjectId[];
}

/** `reject`: a proposal was refused; nothing of it applied. */
export interface RejectMessage extends WireError {
  readonly opId: number;
}

/** socket.io typing of what the server emits. */
export interface ServerToClientEvents {
  welcome: (msg: WelcomeMessage) => void;
  joined: (msg: JoinedMessage) => void;
  b: (...args: BatchArgs) => void;
  ack: (msg: AckMessage) => void;
  reject: (msg: RejectMessage) => void;
  error: (msg: WireError) => void;
}

/** socket.io typing of what a client emits (unparsed: the server treats every argument as unknown). */
export interface ClientToServerEvents {
  join: (msg: { tree: string; since?: number; epoch?: string }) => void;
  leave: (msg: { tree: string }) => void;
  propose: (msg: { tree: string; opId: number; baseSeq: number; seen?: number; ops: readonly Op[] }) => void;
}

/** One change record: the op, its seq and who caused it. */
export interface Scribe {
  readonly seq: number;
  readonly origin: string;
  readonly op: Op;
}
