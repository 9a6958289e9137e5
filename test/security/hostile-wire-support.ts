/**
 * Support for the hostile-input fuzzer (hostile.test.ts), the messages: markers resolved or expanded
 * at send time, the steps of a plan, a wire encoder that can say what socket.io-client cannot (-0,
 * 1e400, 10,000 levels of nesting, megabytes of text), and a prediction of the answer each message
 * must get.
 */
import { ClientEvent, parseClientMessage, type Limits } from '../../shared/index.js';

// ---------------------------------------------------------------------------------------------
// Markers: parts of a planned message resolved or expanded only when it is sent.
// ---------------------------------------------------------------------------------------------

/** An id of an object of the message's tree, picked at send time (`pick` modulo the ids). */
export class IdRef {
  constructor(
    readonly pick: number,
    readonly nonRoot: boolean,
  ) {}
}

/** The sending socket's next opId (`back` = 0), or one it used before (a resend, `back` > 0). */
export class OpIdRef {
  constructor(readonly back: number) {}
}

/** The epoch of the named tree (a catch-up join), known at send time. */
export class EpochRef {
  constructor(readonly tree: string) {}
}

/** What a {@link Big} expands to. */
export type BigKind = 'string' | 'deepArray' | 'deepObject' | 'wideArray' | 'wideStrings' | 'wideObject' | 'deepProto';

/** A value too large to plan: written straight into the JSON text when sent. */
export class Big {
  constructor(
    readonly kind: BigKind,
    readonly n: number,
  ) {}

  /** Its JSON text, built without recursion (10,000 levels would overflow any recursive encoder). */
  text(): string {
    switch (this.kind) {
      case 'string':
        return `"${'x'.repeat(this.n)}"`;
      case 'deepArray':
        return `${'['.repeat(this.n)}0${']'.repeat(this.n)}`;
      case 'deepObject':
        return `${'{"a":'.repeat(this.n)}0${'}'.repeat(this.n)}`;
      case 'deepProto':
        // A forbidden key at the bottom of a deep (but not too deep) nest.
        return `${'{"a":'.repeat(this.n)}{"__proto__":{"polluted":1}}${'}'.repeat(this.n)}`;
      case 'wideArray':
        return `[${new Array<string>(this.n).fill('0').join(',')}]`;
      case 'wideStrings':
        return `[${new Array<string>(this.n).fill('"s"').join(',')}]`;
      case 'wideObject': {
        const parts: string[] = [];
        for (let i = 0; i < this.n; i++) parts.push(`"k${i}":${i}`);
        return `{${parts.join(',')}}`;
      }
    }
  }

  /** As a value, for messages that must go through socket.io's binary encoder (which recurses): depth capped. */
  value(): unknown {
    return JSON.parse(new Big(this.kind, this.kind.startsWith('deep') ? Math.min(this.n, 200) : this.n).text());
  }

  toString(): string {
    return `<${this.kind} ${this.n}>`;
  }
}

export const isMarker = (v: unknown): boolean => v instanceof IdRef || v instanceof OpIdRef || v instanceof EpochRef || v instanceof Big;

// ---------------------------------------------------------------------------------------------
// The steps of a plan.
// ---------------------------------------------------------------------------------------------

/** One message from a hostile socket. `ackId` sends it with a socket.io ack id (the server gets a function as the last argument). */
export interface MsgStep {
  readonly kind: 'msg';
  readonly sock: number;
  readonly event: unknown;
  readonly args: unknown[];
  readonly ackId: boolean;
  /** What was done to the valid message it started from (for the report). */
  readonly mutations: readonly string[];
}

/** A raw socket.io packet that is not a well-formed event: socket.io may drop the connection for it. */
export interface GarbageStep {
  readonly kind: 'garbage';
  readonly sock: number;
  readonly frame: string;
}

/** A new connection with a hostile handshake `auth` (a function: socket.io-client sends what it calls back). */
export interface HandshakeStep {
  readonly kind: 'handshake';
  readonly auth: AuthPlan;
}

/** A new connection that takes over a hostile socket's client id (the old one gets SUPERSEDED). */
export interface TakeoverStep {
  readonly kind: 'takeover';
  readonly sock: number;
}

/** An honest client makes one valid mutation, without waiting for its answer. */
export interface HonestStep {
  readonly kind: 'honest';
  readonly who: number;
  readonly seed: number;
}

export type Step = MsgStep | GarbageStep | HandshakeStep | TakeoverStep | HonestStep;

/** A handshake: its auth payload (`clientId: null` is replaced by a fresh valid id) or a non-object. */
export type AuthPlan = { readonly object: Record<string, unknown> } | { readonly raw: unknown };

// Card's attributes: 0 title (string), 1 votes (number), 2 done (boolean), 3 meta (json), 4 tags (dict of numbers), 5 items (list of strings).
export const TREES = ['board', 'deck'] as const;

export function define(o: object, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// Sending: markers resolved, then JSON text (or values, for binary messages).
// ---------------------------------------------------------------------------------------------

/** What resolving markers needs at send time. */
export interface SendContext {
  ids(tree: string, nonRoot: boolean): readonly number[];
  opId(back: number): number;
  epoch(tree: string): string;
}

/** The tree a message is about, for its IdRefs. */
function targetTree(args: readonly unknown[]): string {
  const body = args[0];
  const tree = typeof body === 'object' && body !== null ? (body as { tree?: unknown }).tree : undefined;
  return typeof tree === 'string' && (TREES as readonly string[]).includes(tree) ? tree : 'board';
}

function resolveMarker(v: IdRef | OpIdRef | EpochRef, tree: string, ctx: SendContext): number | string {
  if (v instanceof IdRef) {
    const ids = ctx.ids(tree, v.nonRoot);
    return ids.length === 0 ? 0 : (ids[v.pick % ids.length] as number);
  }
  if (v instanceof OpIdRef) return ctx.opId(v.back);
  return ctx.epoch(v.tree);
}

/** Whether a planned value holds binary data (then it goes through socket.io's own encoder). */
export function hasBuffer(v: unknown): boolean {
  if (Buffer.isBuffer(v)) return true;
  if (typeof v !== 'object' || v === null || isMarker(v)) return false;
  return Object.values(v).some(hasBuffer);
}

/**
 * JSON text of a message's payload, markers resolved. Unlike JSON.stringify: -0 stays `-0` and
 * ±Infinity becomes `±1e400` (JSON.parse reads both back as such), as a hostile peer could write.
 */
export function encode(event: unknown, args: readonly unknown[], ctx: SendContext): string {
  const tree = targetTree(args);
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Big) {
      parts.push(v.text());
      return;
    }
    if (v instanceof IdRef || v instanceof OpIdRef || v instanceof EpochRef) {
      parts.push(JSON.stringify(resolveMarker(v, tree, ctx)));
      return;
    }
    switch (typeof v) {
      case 'number':
        parts.push(Number.isNaN(v) ? 'null' : v === Infinity ? '1e400' : v === -Infinity ? '-1e400' : Object.is(v, -0) ? '-0' : JSON.stringify(v));
        return;
      case 'string':
      case 'boolean':
        parts.push(JSON.stringify(v));
        return;
      case 'object': {
        if (v === null) {
          parts.push('null');
          return;
        }
        if (Array.isArray(v)) {
          parts.push('[');
          v.forEach((item, i) => {
            if (i > 0) parts.push(',');
            walk(item);
          });
          parts.push(']');
          return;
        }
        parts.push('{');
        let first = true;
        for (const k of Object.keys(v)) {
          const item = (v as Record<string, unknown>)[k];
          if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
          if (!first) parts.push(',');
          first = false;
          parts.push(JSON.stringify(k), ':');
          walk(item);
        }
        parts.push('}');
        return;
      }
      default:
        // undefined, functions, symbols and bigints inside arrays: null, as JSON.stringify writes them (it throws on bigints).
        parts.push('null');
    }
  };
  walk([event, ...args]);
  return parts.join('');
}

/** Markers resolved and big values expanded (capped), for messages sent with socket.emit. */
export function materialize(args: readonly unknown[], ctx: SendContext): unknown[] {
  const tree = targetTree(args);
  const walk = (v: unknown): unknown => {
    if (v instanceof Big) return v.value();
    if (v instanceof IdRef || v instanceof OpIdRef || v instanceof EpochRef) return resolveMarker(v, tree, ctx);
    if (typeof v !== 'object' || v === null || Buffer.isBuffer(v)) return v;
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) define(out, k, walk((v as Record<string, unknown>)[k]));
    return out;
  };
  return args.map(walk);
}

/** A short printable form of a planned value (big values by name, long strings cut). */
export function show(v: unknown, max = 400): string {
  const parts: string[] = [];
  let size = 0;
  const walk = (x: unknown, depth: number): void => {
    if (size > max) return;
    const put = (s: string): void => {
      parts.push(s);
      size += s.length;
    };
    if (x instanceof Big) return put(String(x));
    if (x instanceof IdRef) return put(`<id#${x.pick}${x.nonRoot ? ' nonroot' : ''}>`);
    if (x instanceof OpIdRef) return put(x.back === 0 ? '<nextOpId>' : `<opId-${x.back}>`);
    if (x instanceof EpochRef) return put(`<epoch ${x.tree}>`);
    if (Buffer.isBuffer(x)) return put(`<Buffer ${x.toString('hex')}>`);
    if (typeof x === 'number') return put(Object.is(x, -0) ? '-0' : String(x));
    if (typeof x === 'string') return put(x.length > 80 ? `${JSON.stringify(x.slice(0, 40))}...(${x.length} chars)` : JSON.stringify(x));
    if (typeof x !== 'object' || x === null) return put(String(x));
    if (depth > 8) return put('...');
    if (Array.isArray(x)) {
      put('[');
      x.slice(0, 12).forEach((item, i) => {
        if (i > 0) put(',');
        walk(item, depth + 1);
      });
      if (x.length > 12) put(`,...(${x.length} items)`);
      return put(']');
    }
    put('{');
    Object.keys(x).forEach((k, i) => {
      if (i > 0) put(',');
      put(`${JSON.stringify(k)}:`);
      walk((x as Record<string, unknown>)[k], depth + 1);
    });
    return put('}');
  };
  walk(v, 0);
  const text = parts.join('');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// What the server must answer.
// ---------------------------------------------------------------------------------------------

/** socket.io's reserved event names: its parser refuses such a packet (and drops the connection). */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

/** What one message must be answered with. */
export type Expectation =
  /** Exactly one ack or reject carrying this opId, nothing else. */
  | { readonly kind: 'answer'; readonly opId: number }
  /** Nothing (a well-formed leave). */
  | { readonly kind: 'silent' }
  /** Exactly one `error`, or for a join one `joined` or one `error`. */
  | { readonly kind: 'error'; readonly joinable: boolean };

/**
 * The answer the protocol promises for a message as the server decodes it (`wireArgs`): a propose
 * whose opId is a non-negative safe integer gets exactly one ack or reject with it; a well-formed
 * leave gets nothing; anything else exactly one error (or `joined` for a join).
 */
export function expectation(event: unknown, wireArgs: readonly unknown[], limits: Limits): Expectation {
  const name = typeof event === 'string' ? event : String(event);
  const body = wireArgs[0];
  if (name === ClientEvent.propose && typeof body === 'object' && body !== null) {
    const opId = (body as { opId?: unknown }).opId;
    if (typeof opId === 'number' && Number.isSafeInteger(opId) && opId >= 0) return { kind: 'answer', opId };
  }
  if (name === ClientEvent.leave) {
    const parsed = parseClientMessage(name, wireArgs, limits);
    if (!(parsed instanceof Error)) return { kind: 'silent' };
  }
  return { kind: 'error', joinable: name === ClientEvent.join };
}

/** JSON semantics of a value as socket.io's binary encoder would send it: buffers kept, non-finite numbers null, -0 zero. */
export function asSent(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v + 0 : null;
  if (typeof v !== 'object' || v === null) return v === undefined ? null : v;
  if (Array.isArray(v)) return v.map(asSent);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const item = (v as Record<string, unknown>)[k];
    if (item !== undefined) define(out, k, asSent(item));
  }
  return out;
}
