/**
 * Support for the hostile-input fuzzer (hostile.test.ts), the plan: a seeded sequence of steps made
 * with fast-check (valid join/leave/propose messages, then mutated, garbage frames, handshakes).
 */
import fc from 'fast-check';
import { PROTOCOL_VERSION } from '../../shared/index.js';
import { Big, EpochRef, IdRef, OpIdRef, TREES, define, isMarker, show, type AuthPlan, type MsgStep, type Step } from './hostile-wire-support.js';

// ---------------------------------------------------------------------------------------------
// The plan.
// ---------------------------------------------------------------------------------------------

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
  { weight: 3, arbitrary: fc.oneof(hostileValue, fc.constantFrom<unknown>('a b', 'x'.repeat(129), 'ok\n', 'é', '__proto__', 'constructor')).map((clientId) => ({ object: { v: PROTOCOL_VERSION, clientId } })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('v1', 1, null, [1, 'id'], true).map((raw) => ({ raw })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('__proto__', 'constructor', 'token', 'big', 'v2'), hostileValue)
      .map(([k, v]) => {
        const object: Record<string, unknown> = { v: PROTOCOL_VERSION, clientId: null };
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
