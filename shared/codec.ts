/**
 * The binary form of a batch (`b`), for clients that ask for it in the handshake
 * (`batches: 'binary'`). The same arguments as the JSON form, smaller: operation codes and
 * attribute indices share a byte, object ids are deltas from the previous op's, integers are
 * varints, and a float is stored as its XOR with the previous float of the batch (a metric or a
 * timestamp that moves a little costs 2 or 3 bytes instead of 8). docs/protocol.md gives the layout.
 *
 * Encoded once per audience on the server; decoded by the client into exactly the arguments the
 * JSON form carries, so everything after the socket is the same for both.
 */
import { Reader, T_OBJECT, Writer } from './binary.js';
import { ErrorCode, fail } from './errors.js';
import type { Json } from './json.js';
import { OP, type Op, type TopicOp } from './ops.js';
import type { BatchArgs } from './protocol.js';

/** The first byte of every binary batch: the layout's version. */
export const BINARY_BATCH_VERSION = 1;

/** Batch arguments as they travel: `[ref, firstSeq, ops, origins?]`, or filtered `[ref, firstSeq, ops, origins | null, lastSeq]`. */
export type AnyBatchArgs = BatchArgs | readonly [ref: number, firstSeq: number, ops: readonly Op[], origins: BatchArgs[3] | null, lastSeq: number];

const FLAG_ORIGINS = 1;
const FLAG_LAST_SEQ = 2;

/** An attribute index below this shares the op's first byte. */
const ATTR_INLINE = 15;

/** One writer for every batch (encoding is synchronous): a filtered batch per audience does not allocate its buffers each time. */
const writer = new Writer();
/** Whether `writer` is in use: a call made during an encoding (a getter in a value calling encodeBatch) takes a writer of its own. */
let writerBusy = false;

/** Encodes batch arguments (JSON form) as one binary batch: a new array, never a view of a reused buffer. */
export function encodeBatch(args: AnyBatchArgs): Uint8Array {
  if (writerBusy) return encodeWith(new Writer(), args);
  writerBusy = true;
  try {
    return encodeWith(writer.reset(), args);
  } finally {
    // After a large batch (or one that failed half-way), let its buffer go now rather than at the next batch.
    writer.trim();
    writerBusy = false;
  }
}

/** Writes a batch with `w` (a reset or new writer) and returns a copy of its bytes. */
function encodeWith(w: Writer, args: AnyBatchArgs): Uint8Array {
  const [ref, firstSeq, ops, origins, lastSeq] = args as readonly [number, number, readonly Op[], BatchArgs[3] | null | undefined, number | undefined];
  w.byte(BINARY_BATCH_VERSION);
  w.uint(ref);
  w.uint(firstSeq);
  w.byte((origins != null ? FLAG_ORIGINS : 0) | (lastSeq !== undefined ? FLAG_LAST_SEQ : 0));
  if (lastSeq !== undefined) w.int(lastSeq - firstSeq);
  w.uint(ops.length);
  let prevId = 0;
  for (const op of ops) {
    const code = op[0];
    const id = op[1];
    if (code <= OP.replace) {
      const attr = (op as TopicOp)[2];
      w.byte(code | ((attr < ATTR_INLINE ? attr + 1 : 0) << 4));
      w.int(id - prevId);
      if (attr >= ATTR_INLINE) w.uint(attr);
    } else {
      w.byte(code);
      w.int(id - prevId);
    }
    prevId = id;
    switch (op[0]) {
      case OP.set:
      case OP.add:
        w.value(op[3]);
        break;
      case OP.put:
        w.string(op[3]);
        w.value(op[4]);
        break;
      case OP.delete:
        w.string(op[3]);
        break;
      case OP.insert:
        w.int(op[3]);
        w.uint(op[4].length);
        for (const item of op[4]) w.value(item);
        break;
      case OP.remove:
      case OP.listMove:
        w.int(op[3]);
        w.int(op[4]);
        break;
      case OP.replace:
        w.int(op[3]);
        w.value(op[4]);
        break;
      case OP.create:
        w.uint(op[2]);
        w.int(op[3]);
        w.int(op[4]);
        w.value(op[5]);
        break;
      case OP.destroy:
        break;
      case OP.move:
        w.int(op[2]);
        w.int(op[3]);
        break;
    }
  }
  if (origins != null) {
    w.uint(origins.length);
    for (const [count, clientId] of origins) {
      w.uint(count);
      w.string(clientId);
    }
  }
  return w.bytes();
}

/** Whether a socket.io argument is binary data (a Node Buffer, a Uint8Array, an ArrayBuffer). */
export function isBinary(v: unknown): v is Uint8Array | ArrayBuffer {
  return v instanceof Uint8Array || v instanceof ArrayBuffer;
}

/**
 * Decodes a binary batch into the arguments of the JSON form. Throws a SyncError (BAD_MESSAGE)
 * on anything malformed: a wrong version, a truncated or overlong buffer, an unknown op or tag.
 */
export function decodeBatch(data: Uint8Array | ArrayBuffer): unknown[] {
  const r = new Reader(data instanceof Uint8Array ? data : new Uint8Array(data));
  const version = r.byte();
  if (version !== BINARY_BATCH_VERSION) fail(ErrorCode.BAD_MESSAGE, `binary batch: unknown version ${version}`);
  const ref = r.uint();
  const firstSeq = r.uint();
  const flags = r.byte();
  if ((flags & ~(FLAG_ORIGINS | FLAG_LAST_SEQ)) !== 0) fail(ErrorCode.BAD_MESSAGE, 'binary batch: unknown flags');
  const lastSeq = (flags & FLAG_LAST_SEQ) !== 0 ? firstSeq + r.int() : undefined;
  const n = r.count();
  const ops: Op[] = new Array<Op>(n);
  let prevId = 0;
  for (let i = 0; i < n; i++) {
    const head = r.byte();
    const code = head & 0x0f;
    const id = prevId + r.int();
    prevId = id;
    if (code <= OP.replace) {
      const inline = head >> 4;
      const attr = inline === 0 ? r.uint() : inline - 1;
      ops[i] = readTopicOp(r, code, id, attr);
      continue;
    }
    if (head >> 4 !== 0) fail(ErrorCode.BAD_MESSAGE, 'binary batch: a tree op with an attribute');
    switch (code) {
      case OP.create: {
        const type = r.uint();
        const parent = r.int();
        const index = r.int();
        if (r.byte() !== T_OBJECT) fail(ErrorCode.BAD_MESSAGE, 'binary batch: create values are not an object');
        ops[i] = [OP.create, id, type, parent, index, r.object(0)];
        break;
      }
      case OP.destroy:
        ops[i] = [OP.destroy, id];
        break;
      case OP.move:
        ops[i] = [OP.move, id, r.int(), r.int()];
        break;
      default:
        fail(ErrorCode.BAD_MESSAGE, `binary batch: unknown op code ${code}`);
    }
  }
  let origins: [number, string][] | null | undefined;
  if ((flags & FLAG_ORIGINS) !== 0) {
    const runs = r.count();
    origins = [];
    for (let i = 0; i < runs; i++) origins.push([r.uint(), r.string()]);
  } else if (lastSeq !== undefined) origins = null;
  if (r.left !== 0) fail(ErrorCode.BAD_MESSAGE, 'binary batch: bytes after the end');
  if (lastSeq !== undefined) return [ref, firstSeq, ops, origins, lastSeq];
  return origins === undefined ? [ref, firstSeq, ops] : [ref, firstSeq, ops, origins];
}

function readTopicOp(r: Reader, code: number, id: number, attr: number): Op {
  switch (code) {
    case OP.set:
      return [OP.set, id, attr, r.value()];
    case OP.add:
      return [OP.add, id, attr, r.number()];
    case OP.put:
      return [OP.put, id, attr, r.key(), r.value()];
    case OP.delete:
      return [OP.delete, id, attr, r.key()];
    case OP.insert: {
      const index = r.int();
      const n = r.count();
      const items: Json[] = new Array<Json>(n);
      for (let k = 0; k < n; k++) items[k] = r.value();
      return [OP.insert, id, attr, index, items];
    }
    case OP.remove:
      return [OP.remove, id, attr, r.int(), r.int()];
    case OP.listMove:
      return [OP.listMove, id, attr, r.int(), r.int()];
    default:
      return [OP.replace, id, attr, r.int(), r.value()];
  }
}
