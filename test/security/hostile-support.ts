/**
 * Support for the hostile-input fuzzer (hostile.test.ts): a seeded plan of steps made with
 * fast-check (valid join/leave/propose messages, then mutated), a wire encoder that can say what
 * socket.io-client cannot (-0, 1e400, 10,000 levels of nesting, megabytes of text), a prediction of
 * the answer each message must get, and a structural check of a server tree.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { Tree } from '../../server/index.js';
import { ClientEvent, copyValue, isWellFormed, MAX_JSON_DEPTH, parseClientMessage, type AttrSpec, type Limits } from '../../shared/index.js';

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

const isMarker = (v: unknown): boolean => v instanceof IdRef || v instanceof OpIdRef || v instanceof EpochRef || v instanceof Big;

// ---------------------------------------------------------------------------------------------
// The plan.
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
const TREES = ['board', 'deck'] as const;

/** Characters with lone surrogates among them. */
const surrogateUnit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const loneSurrogates = fc.oneof(
  fc.constantFrom('\uD800', '\uDFFF', 'a\uDBFFb', '\uDC00\uD800', 'ok\uD83D'),
  fc.string({ unit: surrogateUnit, minLength: 1, maxLength: 8 }),
);

// Valid in shape, with the edges of each kind now and then: lone surrogates, -0, the largest doubles, forbidden keys.
const word = fc.constantFrom('a', 'b', 'c', 'hello', '', 'ünï', '😀', 'forbidden');
const stringValue = fc.oneof({ weight: 8, arbitrary: word }, { weight: 2, arbitrary: fc.string({ maxLength: 16 }) }, { weight: 1, arbitrary: loneSurrogates });
const edgeNumber = fc.constantFrom(-0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1, 1e300);
const numberValue = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -50, max: 50 }) },
  { weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: edgeNumber },
);
const key = fc.constantFrom('a', 'b', 'c', 'k', 'hasOwnProperty', 'toString', 'valueOf', '0', '1', '', '__proto__', 'constructor', '\uD800', 'a\uDC00');
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const listIndex = fc.oneof(fc.constant(-1), fc.nat(4));
const idRef = fc.nat(10_000).map((k) => new IdRef(k, false));
const nonRootRef = fc.nat(10_000).map((k) => new IdRef(k, true));

/** A valid value for each attribute index of a Card. */
const setOp = fc.oneof(
  fc.tuple(fc.constant(0), idRef, fc.constant(0), stringValue),
  fc.tuple(fc.constant(0), idRef, fc.constant(1), numberValue),
  fc.tuple(fc.constant(0), idRef, fc.constant(2), fc.boolean()),
  fc.tuple(fc.constant(0), idRef, fc.constant(3), jsonValue),
  fc.tuple(fc.constant(0), idRef, fc.constant(4), fc.dictionary(key, numberValue, { maxKeys: 3 })),
  fc.tuple(fc.constant(0), idRef, fc.constant(5), fc.array(stringValue, { maxLength: 3 })),
);

const createValues = fc.record(
  { title: stringValue, votes: numberValue, done: fc.boolean(), meta: jsonValue, tags: fc.dictionary(key, numberValue, { maxKeys: 2 }), items: fc.array(stringValue, { maxLength: 2 }) },
  { requiredKeys: [] },
);

/** A valid op tuple of each code (valid in shape; the object or index may still be wrong at send time). */
const validOp: fc.Arbitrary<unknown[]> = fc.oneof(
  { weight: 4, arbitrary: setOp },
  { weight: 2, arbitrary: fc.tuple(fc.constant(1), idRef, fc.constant(1), numberValue) },
  { weight: 2, arbitrary: fc.tuple(fc.constant(2), idRef, fc.constant(4), key, numberValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant(3), idRef, fc.constant(4), key) },
  { weight: 2, arbitrary: fc.tuple(fc.constant(4), idRef, fc.constant(5), listIndex, fc.array(stringValue, { minLength: 1, maxLength: 3 })) },
  { weight: 1, arbitrary: fc.tuple(fc.constant(5), idRef, fc.constant(5), fc.nat(3), fc.integer({ min: 1, max: 2 })) },
  { weight: 1, arbitrary: fc.tuple(fc.constant(6), idRef, fc.constant(5), fc.nat(3), fc.nat(3)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant(7), idRef, fc.constant(5), fc.nat(3), stringValue) },
  { weight: 3, arbitrary: fc.tuple(fc.constant(8), fc.constant(-1), fc.constant(1), idRef, listIndex, createValues) },
  { weight: 1, arbitrary: fc.tuple(fc.constant(9), nonRootRef) },
  { weight: 2, arbitrary: fc.tuple(fc.constant(10), nonRootRef, idRef, listIndex) },
).map((op) => [...op]);

/** A valid op on another attribute index than its kind takes (WRONG_KIND, UNKNOWN_ATTRIBUTE), or a create of any type index (a Board, or none). */
const misplacedOp: fc.Arbitrary<unknown[]> = fc
  .tuple(validOp, fc.nat(6), fc.nat(2))
  .map(([op, attr, type]) => (op[0] === 8 ? [8, op[1], type, ...op.slice(3)] : op[0] === 9 || op[0] === 10 ? op : [op[0], op[1], attr, ...op.slice(3)]));

/** A proposal that uses temp ids: create, change the new object, create under it, move it. */
const tempIdOps = fc
  .tuple(idRef, stringValue, listIndex, fc.boolean())
  .map(([parent, title, index, destroy]) => [
    [8, -1, 1, parent, index, { title }],
    [0, -1, 3, { made: title }],
    [8, -2, 1, -1, -1, {}],
    [4, -2, 5, -1, ['x', 'y']],
    [10, -2, parent, 0],
    ...(destroy ? [[9, -1]] : []),
  ]);

/** Many ops in one proposal: exactly the limit, or one over it. */
const bulkOps = fc.tuple(fc.constantFrom(1000, 1001), idRef).map(([n, id]) => Array.from({ length: n }, (_, i) => [0, id, 1, i]));

const treeName = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...TREES) }, { weight: 1, arbitrary: fc.constantFrom('nope', 'secret', 'Board', 'board ') });

const proposeBody = fc.record(
  {
    tree: treeName,
    opId: fc.oneof({ weight: 20, arbitrary: fc.constant(new OpIdRef(0)) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }).map((b) => new OpIdRef(b)) }),
    baseSeq: fc.nat(50),
    seen: fc.nat(20),
    ops: fc.oneof(
      { weight: 20, arbitrary: fc.array(validOp, { minLength: 1, maxLength: 4 }) },
      { weight: 3, arbitrary: fc.array(fc.oneof(validOp, misplacedOp), { minLength: 1, maxLength: 3 }) },
      { weight: 3, arbitrary: tempIdOps },
      { weight: 1, arbitrary: bulkOps },
    ),
  },
  { requiredKeys: ['tree', 'opId', 'baseSeq', 'ops'] },
);

const joinBody = fc.oneof(
  fc.record({ tree: treeName }),
  treeName.chain((tree) => fc.record({ tree: fc.constant(tree), since: fc.nat(30), epoch: fc.oneof(fc.constant(new EpochRef(tree)), fc.uuid()) })),
  fc.record({ tree: treeName, since: fc.nat(30) }),
);

/** A message as planned: an event name and its arguments. */
interface Planned {
  readonly event: unknown;
  readonly args: unknown[];
}

const validMessage = fc.oneof(
  { weight: 12, arbitrary: proposeBody.map((body): Planned => ({ event: 'propose', args: [body] })) },
  { weight: 3, arbitrary: joinBody.map((body): Planned => ({ event: 'join', args: [body] })) },
  { weight: 1, arbitrary: fc.record({ tree: treeName }).map((body): Planned => ({ event: 'leave', args: [body] })) },
);

/** An object with a forbidden key as an own key (JSON.parse makes `__proto__` an own key). */
const forbiddenKeyObject = fc
  .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.jsonValue({ maxDepth: 1 }), fc.nat(2))
  .map(([k, v, depth]): unknown => {
    let text = `{${JSON.stringify(k)}:${JSON.stringify(v)}}`;
    for (let i = 0; i < depth; i++) text = i % 2 === 0 ? `[${text}]` : `{"x":${text}}`;
    return JSON.parse(text);
  });

/** Replacements for any field: wrong types, edge numbers, huge and deep values, forbidden keys, lone surrogates, unknown ids, binary. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(null, undefined, true, false, 0, -1, -2, 1.5, -0.5, 0.1, '', '0', '1', 'board', [], {}, [[]], [null], { '': '' }) },
  { weight: 6, arbitrary: fc.constantFrom<unknown>(NaN, Infinity, -Infinity, -0, 2 ** 53 + 1, 2 ** 53 - 1, -(2 ** 53 + 1), Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e21, 2 ** 31, -(2 ** 31)) },
  { weight: 3, arbitrary: fc.integer({ min: 1000, max: 2 ** 31 }) },
  { weight: 3, arbitrary: fc.integer({ min: -1000, max: -1 }) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 4, arbitrary: loneSurrogates },
  { weight: 4, arbitrary: forbiddenKeyObject },
  { weight: 3, arbitrary: fc.anything({ maxDepth: 2, withNullPrototype: true }) },
  { weight: 3, arbitrary: jsonValue },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constant(new Big('string', 2_000_000)),
      fc.constant(new Big('string', 3_500_000)),
      fc.constant(new Big('string', 900_000)),
      fc.constant(new Big('deepArray', 10_000)),
      fc.constant(new Big('deepObject', 10_000)),
      fc.integer({ min: 58, max: 74 }).map((n) => new Big('deepArray', n)),
      fc.integer({ min: 58, max: 74 }).map((n) => new Big('deepObject', n)),
      fc.integer({ min: 1, max: 70 }).map((n) => new Big('deepProto', n)),
      fc.constant(new Big('wideArray', 200_000)),
      fc.constant(new Big('wideStrings', 30_000)),
      fc.constant(new Big('wideObject', 20_000)),
    ),
  },
  { weight: 1, arbitrary: fc.constant(new Big('string', 4_500_000)) },
);

/** Event names: misspelled, other directions', prototype names, numbers, reserved by socket.io, huge, lone surrogates. */
const hostileEvent: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>('Join', 'propose ', 'PROPOSE', 'joined', 'welcome', 'ack', 'reject', 'b', 'error', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', ' ', 0, 42, -1, 1.5, 2 ** 53 + 1),
  fc.constantFrom<unknown>('connect', 'disconnect', 'disconnecting', 'newListener', 'removeListener', 'connect_error'),
  fc.string({ maxLength: 12 }),
  loneSurrogates,
  fc.constant(new Big('string', 100_000)),
);

/** A mutation of a planned message: at a position (picked modulo the positions), or of the whole message. */
type Mutation =
  | { readonly at: number; readonly action: 'replace' | 'append'; readonly value: unknown; readonly key: string }
  | { readonly at: number; readonly action: 'delete' | 'wrap' | 'duplicate' }
  | { readonly action: 'event'; readonly value: unknown }
  | { readonly action: 'extraArgs'; readonly values: unknown[] }
  | { readonly action: 'noArgs' | 'ackId' };

const extraKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'tree', 'opId', '\uD800', '');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ at: fc.nat(), action: fc.constant('replace' as const), value: hostileValue, key: extraKey }) },
  { weight: 2, arbitrary: fc.record({ at: fc.nat(), action: fc.constant('append' as const), value: hostileValue, key: extraKey }) },
  { weight: 2, arbitrary: fc.record({ at: fc.nat(), action: fc.constantFrom('delete' as const, 'wrap' as const, 'duplicate' as const) }) },
  { weight: 2, arbitrary: fc.record({ action: fc.constant('event' as const), value: hostileEvent }) },
  { weight: 1, arbitrary: fc.record({ action: fc.constant('extraArgs' as const), values: fc.array(hostileValue, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ action: fc.constantFrom('noArgs' as const, 'ackId' as const) }) },
);

/** A copy of a planned value that keeps own `__proto__` keys own, markers and buffers as they are. */
export function clone(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || isMarker(v) || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(clone);
  const out: Record<string, unknown> = Object.getPrototypeOf(v) === null ? (Object.create(null) as Record<string, unknown>) : {};
  for (const k of Object.keys(v)) define(out, k, clone((v as Record<string, unknown>)[k]));
  return out;
}

function define(o: object, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

/** Every (container, key) position inside the args, a bounded number of them. */
function positions(args: unknown[]): [unknown[] | Record<string, unknown>, string | number][] {
  const out: [unknown[] | Record<string, unknown>, string | number][] = [];
  const visit = (c: unknown, depth: number): void => {
    if (out.length > 300 || depth > 6 || typeof c !== 'object' || c === null || isMarker(c) || Buffer.isBuffer(c)) return;
    if (Array.isArray(c)) {
      c.forEach((item, i) => {
        out.push([c, i]);
        visit(item, depth + 1);
      });
      return;
    }
    const rec = c as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      out.push([rec, k]);
      visit(rec[k], depth + 1);
    }
  };
  visit(args, 0);
  return out;
}

function mutate(start: Planned, mutations: readonly Mutation[]): { event: unknown; args: unknown[]; ackId: boolean; done: string[] } {
  let event = start.event;
  let args = clone(start.args) as unknown[];
  let ackId = false;
  const done: string[] = [];
  for (const m of mutations) {
    switch (m.action) {
      case 'event':
        event = clone(m.value);
        done.push(`event=${show(event, 60)}`);
        continue;
      case 'extraArgs':
        args.push(...m.values.map(clone));
        done.push(`extraArgs(${m.values.length})`);
        continue;
      case 'noArgs':
        args = [];
        done.push('noArgs');
        continue;
      case 'ackId':
        ackId = true;
        done.push('ackId');
        continue;
    }
    const all = positions(args);
    if (all.length === 0) continue;
    const [container, k] = all[m.at % all.length] as [unknown[] | Record<string, unknown>, string | number];
    const path = Array.isArray(container) ? `[${String(k)}]` : `.${String(k)}`;
    if (Array.isArray(container)) {
      const i = k as number;
      switch (m.action) {
        case 'replace':
          container[i] = clone(m.value);
          break;
        case 'append':
          container.push(clone(m.value));
          break;
        case 'delete':
          container.splice(i, 1);
          break;
        case 'wrap':
          container[i] = [container[i]];
          break;
        case 'duplicate':
          container.splice(i, 0, clone(container[i]));
          break;
      }
    } else {
      const name = k as string;
      switch (m.action) {
        case 'replace':
          define(container, name, clone(m.value));
          break;
        case 'append':
          define(container, m.key, clone(m.value));
          break;
        case 'delete':
          delete container[name];
          break;
        case 'wrap':
          define(container, name, { v: container[name] });
          break;
        case 'duplicate':
          define(container, `${name}2`, clone(container[name]));
          break;
      }
    }
    done.push(`${m.action}${path}${m.action === 'replace' || m.action === 'append' ? `=${show(m.value, 60)}` : ''}${m.action === 'append' && !Array.isArray(container) ? ` as ${JSON.stringify(m.key)}` : ''}`);
  }
  return { event, args, ackId, done };
}

/** A hostile socket's message: valid, or valid then mutated 1-3 times. */
const msgStep = (sockets: number): fc.Arbitrary<MsgStep> =>
  fc
    .tuple(fc.nat(sockets - 1), validMessage, fc.oneof({ weight: 1, arbitrary: fc.constant([] as Mutation[]) }, { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }))
    .map(([sock, msg, mutations]) => {
      const m = mutate(msg, mutations);
      return { kind: 'msg', sock, event: m.event, args: m.args, ackId: m.ackId, mutations: m.done };
    });

/** Raw packets that are not well-formed socket.io events. */
const garbageFrame = fc.oneof(
  fc.constantFrom(
    '2[',
    '2{"a":1}',
    '2"str"',
    '2[]',
    '2[null]',
    '2[{}]',
    '2[["join"]]',
    '2["connect"]',
    '2["disconnect",1]',
    '2["newListener","x"]',
    '2["propose",{"tree":"board","opId":1,"baseSeq":0,"ops":[[1,0,1,NaN]]}]',
    '9',
    '0',
    '2/nope,["join",{"tree":"board"}]',
    '31[1]',
    '3[1]',
    '51-["join",{"tree":"board","x":{"_placeholder":true,"num":0}}]',
    '2["join",{"tree":"board","x":{"_placeholder":true,"num":0}}]',
    '299999999999999999999["join",{"tree":"board"}]',
  ),
  fc.string({ maxLength: 20 }).map((s) => `2${s}`),
);

const authPlan: fc.Arbitrary<AuthPlan> = fc.oneof(
  { weight: 3, arbitrary: hostileValue.map((v) => ({ object: { v, clientId: null } })) },
  { weight: 3, arbitrary: fc.oneof(hostileValue, fc.constantFrom<unknown>('a b', 'x'.repeat(129), 'ok\n', 'é', '__proto__', 'constructor')).map((clientId) => ({ object: { v: 1, clientId } })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('v1', 1, null, [1, 'id'], true).map((raw) => ({ raw })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('__proto__', 'constructor', 'token', 'big', 'v2'), hostileValue)
      .map(([k, v]) => {
        const object: Record<string, unknown> = { v: 1, clientId: null };
        define(object, k, v);
        return { object };
      }),
  },
);

/** The whole plan. */
export function planArbitrary(sockets: number, honest: number): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 160, arbitrary: msgStep(sockets) },
    { weight: 24, arbitrary: fc.record({ kind: fc.constant('honest' as const), who: fc.nat(honest - 1), seed: fc.integer() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('garbage' as const), sock: fc.nat(sockets - 1), frame: garbageFrame }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('handshake' as const), auth: authPlan }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('takeover' as const), sock: fc.nat(sockets - 1) }) },
  );
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

// ---------------------------------------------------------------------------------------------
// The tree check.
// ---------------------------------------------------------------------------------------------

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];

/** One thing wrong with a value: where, what kind of problem (for grouping), and the offending part. */
export interface ValueProblem {
  readonly where: string;
  readonly kind: string;
  readonly detail: string;
}

/** Problems with a value that must be plain, finite, well-formed JSON (keys and strings included); empty when it is. */
export function valueProblems(v: unknown, where: string): ValueProblem[] {
  const out: ValueProblem[] = [];
  scanValue(v, where, out);
  return out;
}

function scanValue(v: unknown, where: string, out: ValueProblem[], depth = 0): void {
  if (out.length > 50) return;
  const put = (kind: string, detail = ''): void => void out.push({ where, kind, detail });
  switch (typeof v) {
    case 'string':
      if (!isWellFormed(v)) put('a string with a lone surrogate', show(v, 60));
      return;
    case 'number':
      if (!Number.isFinite(v)) put('a non-finite number', String(v));
      else if (Object.is(v, -0)) put('-0 (JSON has no -0: every mirror and every new snapshot gets 0)');
      return;
    case 'boolean':
      return;
    case 'object': {
      if (v === null) return;
      if (depth > MAX_JSON_DEPTH + 1) return put(`nesting deeper than ${MAX_JSON_DEPTH}`);
      const proto = Object.getPrototypeOf(v) as unknown;
      if (Array.isArray(v)) {
        if (proto !== Array.prototype) put('an array with another prototype');
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) put('a hole in an array', String(i));
          scanValue(v[i], `${where}[${i}]`, out, depth + 1);
        }
        return;
      }
      if (proto !== Object.prototype) put('an object whose prototype is not Object.prototype');
      for (const k of Object.getOwnPropertyNames(v)) {
        if (FORBIDDEN.includes(k)) put('an own forbidden key', JSON.stringify(k));
        if (!isWellFormed(k)) put('a key with a lone surrogate', show(k, 60));
        scanValue((v as Record<string, unknown>)[k], `${where}.${k}`, out, depth + 1);
      }
      if (Object.getOwnPropertySymbols(v).length > 0) put('symbol keys');
      return;
    }
    default:
      put('not JSON', typeof v);
  }
}

/** The values and keys a scribe carries (not its ids and indices), each with where it sits. */
export function scribeValues(op: readonly unknown[]): [string, unknown][] {
  switch (op[0]) {
    case 0:
      return [['[3]', op[3]]];
    case 2:
      return [
        ['[3] (key)', op[3]],
        ['[4]', op[4]],
      ];
    case 3:
      return [['[3] (key)', op[3]]];
    case 4:
    case 7:
      return [['[4]', op[4]]];
    case 8:
      return [['[5]', op[5]]];
    default:
      return [];
  }
}

/** A problem as one line. */
export function describeProblem(p: ValueProblem): string {
  return `${p.where}: ${p.kind}${p.detail === '' ? '' : ` ${p.detail}`}`;
}

/**
 * Everything wrong with a server tree: values that do not re-check against their attribute's kind
 * (copyValue), that are not finite, well-formed, plain JSON, and parents, children and ids that
 * do not agree. Empty when the tree is valid.
 */
export function treeProblems(tree: Tree): string[] {
  const out: string[] = [];
  const snapshot = tree.snapshot();
  const live = tree.wireSnapshot();
  const seen = new Set<number>();
  const childrenOf = new Map<number, number[]>();
  if (snapshot.length !== tree.size) out.push(`the snapshot has ${snapshot.length} objects, the tree counts ${tree.size}`);
  snapshot.forEach(([id, typeIndex, parent, values], i) => {
    const where = `${tree.name}#${id}`;
    if (!Number.isSafeInteger(id) || id < 0) out.push(`${where}: a bad id`);
    if (seen.has(id)) out.push(`${where}: listed twice`);
    seen.add(id);
    if (i === 0) {
      if (id !== 0 || parent !== -1) out.push(`${where}: the first object is not the root 0 with parent -1`);
    } else if (!seen.has(parent)) out.push(`${where}: its parent ${parent} does not come before it`);
    else childrenOf.get(parent)?.push(id);
    childrenOf.set(id, []);
    let type;
    try {
      type = tree.registry.at(typeIndex);
    } catch {
      out.push(`${where}: unknown type index ${typeIndex}`);
      return;
    }
    if (values.length !== type.attrNames.length) out.push(`${where}: ${values.length} values for ${type.attrNames.length} attributes`);
    type.attrNames.forEach((name, a) => {
      const spec = (type.attrs as Record<string, AttrSpec>)[name] as AttrSpec;
      const value = values[a];
      try {
        const again = copyValue(spec, value, name);
        if (!isDeepStrictEqual(again, value)) out.push(`${where}.${name}: changes when checked again`);
      } catch (error) {
        out.push(`${where}.${name}: fails its kind (${spec.kind}): ${(error as Error).message}`);
      }
      // The live value too: a clone would hide a prototype or an own __proto__.
      out.push(...valueProblems(live[i]?.[3][a], `${where}.${name}`).map(describeProblem));
    });
    const handle = tree.get(id);
    if (handle === undefined) out.push(`${where}: listed, but tree.get does not find it`);
    else {
      if (!handle.alive) out.push(`${where}: listed, but not alive`);
      if ((handle.parent?.id ?? -1) !== parent) out.push(`${where}: its parent is ${handle.parent?.id ?? -1}, the snapshot says ${parent}`);
    }
  });
  for (const [id, children] of childrenOf) {
    const actual = tree.get(id)?.children.map((c) => c.id) ?? [];
    if (!isDeepStrictEqual(actual, children)) out.push(`${tree.name}#${id}: children ${show(actual, 80)}, the snapshot order gives ${show(children, 80)}`);
    for (const c of tree.get(id)?.children ?? []) if (c.parent?.id !== id) out.push(`${tree.name}#${c.id}: listed as a child of ${id}, its parent is ${c.parent?.id ?? 'none'}`);
  }
  if (!Number.isSafeInteger(tree.seq) || tree.seq < 0) out.push(`${tree.name}: seq ${tree.seq}`);
  if (tree.nextId <= Math.max(...seen)) out.push(`${tree.name}: nextId ${tree.nextId} is not above every id`);
  return out;
}

/** Where two plain values first differ (numbers compared with Object.is, so -0 is not 0), or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path === '' ? '(root)' : path}: ${show(a, 100)} vs ${show(b, 100)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: ${show(a, 100)} vs ${show(b, 100)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const at = Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`;
    if (!Object.hasOwn(a, k) || !Object.hasOwn(b, k)) return `${at}: ${Object.hasOwn(a, k) ? 'only in the first' : 'only in the second'}`;
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** A small seeded generator (the honest clients' choices). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
