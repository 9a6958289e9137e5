/**
 * W5 filtered views for ShareDB (bench/peers/model.ts): `sharedb-server.ts w5 <variant> <M> <rate>
 * <groups>` (W1's generator on the state below) and `sharedb-clients.ts w5 <variant> <port> <N>
 * <groups>` (sharedb-fanout.ts measures). Object j is in group j % groups; client i sees group i % groups.
 *
 * - `docs`: the W1 state (a document per object); a client subscribes, in one bulk message, to the
 *   documents of its group only. ShareDB sends a client the ops of the documents it subscribes to.
 * - `doc`: ShareDB cannot filter inside a document except through projections, which keep
 *   top-level fields only. So the one json0 document is laid out by group, `{ g0: { '0': object,
 *   '10': object, ... }, g1: { ... }, ... }` (mutation: `{ p: ['g<j % groups>', '<j>', 'value'],
 *   od, oi }`), and the server adds a projection per group, `state-g<g>` = `state` with field `g<g>`
 *   (`backend.addProjection`); client i subscribes to `state-g<i % groups>/all`. A projection
 *   strips the components outside its fields from each op but still sends the op (empty), since
 *   the projected document shares the document's versions: every client gets a message per op.
 *
 * `violations` counts the values a client held or received for objects outside its group;
 * `heldMedian` is the median of the objects each client holds.
 */
import { fatal } from '../lib/child.js';
import { initialObject, median, type ModelObject } from './model.js';
import { build, create, type Build } from './sharedb-backend.js';
import { subscribe, subscribeAll } from './sharedb-client.js';
import { fanout, type View } from './sharedb-fanout.js';
import { STATE, type Commands, type Json0Component, type Variant } from './sharedb-model.js';

/** The `doc` variant's W5 document data: group field → object id → object. */
type GroupedState = Record<string, Record<string, ModelObject>>;

/** The field of group g, and its projection. */
function field(g: number): string {
  return `g${g}`;
}
function projection(g: number): string {
  return `${STATE.collection}-${field(g)}`;
}

/** The W5 state: W1's for `docs`, the grouped document and its projections for `doc`. */
export function groupsBuild(groups: number): Build {
  return async (variant, m, conn, backend) => {
    if (variant === 'docs') return build(variant, m, conn, backend);
    for (let g = 0; g < groups; g++) backend.addProjection(projection(g), STATE.collection, { [field(g)]: true });
    const data: GroupedState = {};
    for (let j = 0; j < m; j++) (data[field(j % groups)] ??= {})[String(j)] = initialObject(j);
    const doc = conn.get<GroupedState>(STATE.collection, STATE.id);
    await create(doc, data);
    doc.on('error', fatal);
    return (k, value) => {
      const f = field(k % groups);
      doc.submitOp([{ p: [f, String(k), 'value'], od: doc.data?.[f]?.[String(k)]?.value, oi: value }]);
    };
  };
}

export function w5Clients(variant: Variant, port: number, n: number, groups: number, commands: Commands): Promise<void> {
  let violations = 0;
  const held: number[] = [];
  const view: View = async (conn, i, onValue) => {
    const g = i % groups;
    const mine = (k: number): boolean => k % groups === g;
    const see = (k: number, value: unknown): void => {
      if (!mine(k)) violations++;
      onValue(k, value);
    };
    let ids: number[];
    if (variant === 'docs') {
      const docs = await subscribeAll(conn, (doc, k) => doc.on('op', (op: readonly Json0Component[]) => op.forEach((c) => c.p[0] === 'value' && see(k, c.oi))), mine);
      ids = docs.map((doc) => Number(doc.id));
    } else {
      const doc = conn.get<GroupedState>(projection(g), STATE.id);
      doc.on('op', (op) => op.forEach((c) => c.p.length === 3 && c.p[2] === 'value' && see(Number(c.p[1]), c.oi)));
      await subscribe(doc);
      ids = Object.values(doc.data ?? {})
        .flatMap((objects) => Object.keys(objects).map(Number))
        .sort((a, b) => a - b);
    }
    violations += ids.filter((k) => !mine(k)).length;
    held[i] = ids.length;
    return ids;
  };
  return fanout(port, n, view, commands, () => ({ violations, heldMedian: median(held) }));
}
