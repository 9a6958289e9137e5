/**
 * What the treesync scripts of `npm run bench:peers` share: the tree's name and types (the shared
 * model of bench/peers/model.ts as treesync types), and how an object's index is found in a
 * mirror or a snapshot (by `x`, which is the object's index in the model).
 */
import type { TreeState } from '../../client/index.js';
import { defineType, t } from '../../shared/index.js';

/** The tree every workload uses; the clients join it by this name. */
export const TREE = 'peers';
/** The root of the tree. */
export const PeerRoot = defineType('PeerRoot', {});

const attrs = { name: t.string(), value: t.number(), x: t.number(), tags: t.dict(t.number()), log: t.list(t.string()) };
/** The shared model as a treesync type. */
export const PeerObject = defineType('PeerObject', attrs);
/**
 * W2's server-side PeerObject: `value` refuses a negative number (INVALID, by the server). A
 * `validate` function rather than the declarative `min: 0`: the welcome carries declarative rules
 * to every client, which would then refuse the write itself, before sending it (no round trip, and
 * the server would never see it), while W2 measures the server's refusal.
 */
export const GuardedPeerObject = defineType('PeerObject', { ...attrs, value: t.number(0, { validate: (v) => v >= 0 || 'at least 0' }) });

/** The W5 scope of the object with index x: its group. */
export function scopeOf(x: number, groups: number): string {
  return `g${x % groups}`;
}

/** The index of the object in the model (its `x`), or -1 for the root. */
export function modelIndex(values: readonly unknown[] | Readonly<Record<string, unknown>>): number {
  const x: unknown = Array.isArray(values) ? (values as readonly unknown[])[2] : (values as Readonly<Record<string, unknown>>)['x'];
  return typeof x === 'number' ? x : -1;
}

/** The object id of each model index in a mirror's state (index j → id). */
export function idsByIndex(state: TreeState, m: number): number[] {
  const ids = new Array<number>(m).fill(-1);
  for (const o of Object.values(state.objects)) {
    const j = modelIndex(o.values);
    if (o.type === PeerObject.name && j >= 0 && j < m) ids[j] = o.id;
  }
  return ids;
}
