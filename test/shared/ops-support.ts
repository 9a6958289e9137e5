/** Fixtures for the op tests: ops built from hostile data, one attribute of each kind, and sample ops. */
import type { Json } from '../../shared/json.js';
import { OP, type TopicOp } from '../../shared/ops.js';
import { t, type AttrSpec, type KindName } from '../../shared/schema.js';

/** An op built at runtime from hostile or generated data; checkTopicOp must cope with it. */
export const raw = (...op: unknown[]): TopicOp => op as unknown as TopicOp;

export const TOPIC_CODES = ['set', 'add', 'put', 'delete', 'insert', 'remove', 'listMove', 'replace'] as const;
export type TopicName = (typeof TOPIC_CODES)[number];

/** One attribute of each kind, a current value, and a valid `set` value. */
export const KINDS: Record<KindName, { spec: AttrSpec; current: Json; setTo: Json }> = {
  string: { spec: t.string(), current: 'x', setTo: 'y' },
  number: { spec: t.number(), current: 5, setTo: 6 },
  boolean: { spec: t.boolean(), current: false, setTo: true },
  json: { spec: t.json(), current: { a: 1 }, setTo: [1, 'b'] },
  dict: { spec: t.dict(t.number()), current: { a: 1 }, setTo: { b: 2 } },
  list: { spec: t.list(t.number()), current: [1, 2, 3], setTo: [4] },
};

/** Which operations each kind accepts, as the docs of `t` describe them. */
export const ACCEPTED: Record<KindName, readonly TopicName[]> = {
  string: ['set'],
  number: ['set', 'add'],
  boolean: ['set'],
  json: ['set'],
  dict: ['set', 'put', 'delete'],
  list: ['set', 'insert', 'remove', 'listMove', 'replace'],
};

/** A well-formed op of each code, valid on the matching kind's current value above. */
export function sampleOp(name: TopicName, kind: KindName): TopicOp {
  switch (name) {
    case 'set':
      return [OP.set, 1, 0, KINDS[kind].setTo];
    case 'add':
      return [OP.add, 1, 0, 2];
    case 'put':
      return [OP.put, 1, 0, 'b', 2];
    case 'delete':
      return [OP.delete, 1, 0, 'a'];
    case 'insert':
      return [OP.insert, 1, 0, 1, [9]];
    case 'remove':
      return [OP.remove, 1, 0, 0, 1];
    case 'listMove':
      return [OP.listMove, 1, 0, 0, 2];
    case 'replace':
      return [OP.replace, 1, 0, 1, 9];
  }
}

export const clone = <T>(v: T): T => structuredClone(v);

/** Whether `fn` throws. */
export function thrownBy(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
}
