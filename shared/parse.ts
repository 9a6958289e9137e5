/**
 * Decoding is validating: every inbound client message goes through {@link parseClientMessage},
 * which returns a typed message or a coded SyncError. Nothing is trusted before it.
 */
import { ErrorCode, SyncError } from './errors.js';
import { OP, type Op } from './ops.js';
import { ClientEvent, type ClientMessage, type Limits } from './protocol.js';
import { isSafeKey } from './schema.js';
import { isWellFormed } from './spec.js';
import { MAX_JSON_DEPTH } from './values.js';

const KNOWN_EVENTS: ReadonlySet<string> = new Set(Object.values(ClientEvent));

/** How many arguments each operation tuple has, by code (including the code). */
const OP_LENGTH: readonly number[] = [4, 4, 5, 4, 5, 5, 5, 5, 6, 2, 4];

class Reject extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly ref?: string | number) {
    super(message);
  }
}

/**
 * Walks a decoded value once: its approximate JSON size in bytes, its depth and its keys.
 * Stops early past `budget` bytes. Throws Reject on forbidden keys or too much depth.
 */
export function measureValue(value: unknown, budget: number): number {
  let size = 0;
  const walk = (v: unknown, depth: number): void => {
    if (size > budget) return;
    if (depth > MAX_JSON_DEPTH + 8) throw new Reject(ErrorCode.BAD_MESSAGE, 'nested too deeply');
    switch (typeof v) {
      case 'string':
        size += v.length + 2;
        return;
      case 'number':
      case 'boolean':
        size += 8;
        return;
      case 'object':
        if (v === null) {
          size += 4;
          return;
        }
        if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
          size += v.byteLength;
          return;
        }
        if (Array.isArray(v)) {
          size += 2;
          for (const item of v) {
            size += 1;
            walk(item, depth + 1);
            if (size > budget) return;
          }
          return;
        }
        size += 2;
        for (const key of Object.keys(v)) {
          if (!isSafeKey(key)) throw new Reject(ErrorCode.BAD_KEY, `forbidden key ${JSON.stringify(key)}`, key);
          size += key.length + 4;
          walk((v as Record<string, unknown>)[key], depth + 1);
          if (size > budget) return;
        }
        return;
      default:
        size += 8;
    }
  };
  walk(value, 0);
  return size;
}

export { isWellFormed };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function treeName(v: unknown, limits: Limits): string {
  if (typeof v !== 'string' || v.length === 0) throw new Reject(ErrorCode.BAD_MESSAGE, 'tree must be a non-empty string', 'tree');
  if (v.length > limits.maxTreeName) throw new Reject(ErrorCode.TOO_LARGE, `tree name longer than ${limits.maxTreeName}`, 'tree');
  if (!isWellFormed(v)) throw new Reject(ErrorCode.BAD_MESSAGE, 'tree name holds a lone surrogate', 'tree');
  return v;
}

function seqNumber(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Reject(ErrorCode.BAD_MESSAGE, `${field} must be a non-negative integer`, field);
  return v;
}

/** Checks one operation's tuple shape; values are checked later against the attribute's kind. */
export function parseOp(raw: unknown, at: number): Op {
  if (!Array.isArray(raw) || raw.length === 0) throw new Reject(ErrorCode.BAD_MESSAGE, `op ${at} is not a tuple`, at);
  const code: unknown = raw[0];
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code >= OP_LENGTH.length) {
    throw new Reject(ErrorCode.BAD_MESSAGE, `op ${at} has an unknown code (${typeof code === 'number' ? String(code) : typeof code})`, at);
  }
  if (raw.length !== OP_LENGTH[code]) throw new Reject(ErrorCode.BAD_MESSAGE, `op ${at} has ${raw.length} elements, not ${OP_LENGTH[code]}`, at);
  const int = (i: number): void => {
    const v: unknown = raw[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Reject(ErrorCode.BAD_MESSAGE, `op ${at} element ${i} must be an integer`, at);
  };
  const num = (i: number): void => {
    if (typeof raw[i] !== 'number') throw new Reject(ErrorCode.BAD_MESSAGE, `op ${at} element ${i} must be a number`, at);
  };
  int(1);
  switch (code) {
    case OP.set:
      int(2);
      break;
    case OP.add:
      int(2);
      num(3);
      break;
    case OP.put:
    case OP.delete:
      int(2);
      if (typeof raw[3] !== 'string') throw new Reject(ErrorCode.BAD_MESSAGE, `op ${at} key must be a string`, at);
      break;
    case OP.insert:
      int(2);
      num(3);
      if (!Array.isArray(raw[4])) throw new Reject(ErrorCode.BAD_MESSAGE, `op ${at} items must be an array`, at);
      break;
    case OP.remove:
    case OP.listMove:
      int(2);
      num(3);
      num(4);
      break;
    case OP.replace:
      int(2);
      num(3);
      break;
    case OP.create:
      int(2);
      int(3);
      num(4);
      if (!isRecord(raw[5])) throw new Reject(ErrorCode.BAD_MESSAGE, `op ${at} values must be an object`, at);
      break;
    case OP.destroy:
      break;
    case OP.move:
      int(2);
      num(3);
      break;
  }
  return raw as unknown as Op;
}

/**
 * Parses one inbound client event. Returns the typed message, or a SyncError with a code
 * (UNKNOWN_MESSAGE, BAD_MESSAGE, BAD_KEY, TOO_LARGE) that the server sends back.
 */
export function parseClientMessage(rawEvent: unknown, args: readonly unknown[], limits: Limits): ClientMessage | SyncError {
  // socket.io allows numeric event names; an event is untrusted input like the rest.
  const event = typeof rawEvent === 'string' ? rawEvent : String(rawEvent);
  try {
    if (!KNOWN_EVENTS.has(event)) {
      throw new Reject(ErrorCode.UNKNOWN_MESSAGE, `unknown event ${JSON.stringify(event.slice(0, 80))}`, event.slice(0, 80));
    }
    if (measureValue(args, limits.maxMessageBytes) > limits.maxMessageBytes) {
      throw new Reject(ErrorCode.TOO_LARGE, `message larger than ${limits.maxMessageBytes} bytes`, event);
    }
    const body: unknown = args[0];
    if (!isRecord(body)) throw new Reject(ErrorCode.BAD_MESSAGE, `${event} needs one object argument`, event);
    switch (event) {
      case ClientEvent.join: {
        const tree = treeName(body['tree'], limits);
        if (body['since'] === undefined || body['since'] === null) return { type: 'join', tree };
        const since = seqNumber(body['since'], 'since');
        const epoch = body['epoch'];
        if (epoch === undefined) return { type: 'join', tree, since };
        if (typeof epoch !== 'string' || epoch.length > 64) throw new Reject(ErrorCode.BAD_MESSAGE, 'epoch must be a string of at most 64 characters', 'epoch');
        return { type: 'join', tree, since, epoch };
      }
      case ClientEvent.leave:
        return { type: 'leave', tree: treeName(body['tree'], limits) };
      case ClientEvent.propose: {
        const tree = treeName(body['tree'], limits);
        const opId = seqNumber(body['opId'], 'opId');
        const baseSeq = seqNumber(body['baseSeq'], 'baseSeq');
        const ops: unknown = body['ops'];
        if (!Array.isArray(ops) || ops.length === 0) throw new Reject(ErrorCode.BAD_MESSAGE, 'ops must be a non-empty array', 'ops');
        if (ops.length > limits.maxOpsPerProposal) throw new Reject(ErrorCode.TOO_LARGE, `more than ${limits.maxOpsPerProposal} ops`, 'ops');
        // Array.from, not map: map skips the holes of a sparse array, and a hole must be refused too.
        const parsed = Array.from(ops as unknown[], (op, i) => parseOp(op, i));
        if (body['seen'] === undefined) return { type: 'propose', tree, opId, baseSeq, ops: parsed };
        return { type: 'propose', tree, opId, baseSeq, seen: seqNumber(body['seen'], 'seen'), ops: parsed };
      }
      default:
        throw new Reject(ErrorCode.UNKNOWN_MESSAGE, `unknown event ${JSON.stringify(event.slice(0, 80))}`, event.slice(0, 80));
    }
  } catch (e) {
    if (e instanceof Reject) return new SyncError(e.code, e.message, { ref: e.ref });
    if (e instanceof RangeError) return new SyncError(ErrorCode.BAD_MESSAGE, 'message too deeply nested');
    throw e;
  }
}
