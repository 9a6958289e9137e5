import { describe, expect, it } from 'vitest';
import { ErrorCode, OP, flattenSnapshot, typeToWire, type Op } from '../../shared/index.js';
import { applyBatch } from '../../client/apply-batch.js';
import { TypeCatalog } from '../../client/catalog.js';
import { snapshotState } from '../../client/snapshot.js';
import type { TreeState } from '../../client/types.js';
import { SNAPSHOT, SNAPSHOT_OBJECTS, TYPES } from './fake-transport.js';

const catalog = new TypeCatalog(TYPES.map(typeToWire), TYPES);

/** root 0 > [1 Gauge cpu, 2 Gauge mem, 3 Folder sub > [4 Gauge disk]], at seq 10. */
function initial(): TreeState {
  return snapshotState(catalog, 10, structuredClone(SNAPSHOT)).state;
}

/** Gauge attributes: label 0, value 1, tags 2, history 3. */
const VALUE = 1;
const TAGS = 2;
const HISTORY = 3;

describe('applyBatch()', () => {
  it('copies the objects record once per batch, unfrozen, and keeps untouched objects by reference', () => {
    const prev = initial();
    const { state } = applyBatch(prev, catalog, 11, [
      [OP.set, 1, VALUE, 6],
      [OP.add, 1, VALUE, 1],
      [OP.set, 2, VALUE, 2],
    ]);
    expect(state).not.toBe(prev);
    expect(state.seq).toBe(13);
    expect(state.objects).not.toBe(prev.objects);
    expect(Object.isFrozen(state.objects)).toBe(false);
    expect(Object.isFrozen(state)).toBe(true);
    for (const id of [0, 3, 4]) expect(state.objects[id]).toBe(prev.objects[id]);
    expect(state.objects[1]).not.toBe(prev.objects[1]);
    expect(state.objects[1]?.values.value).toBe(7);
    // What the touched object did not change is shared too.
    expect(state.objects[1]?.children).toBe(prev.objects[1]?.children);
    expect(state.objects[1]?.values.history).toBe(prev.objects[1]?.values.history);
    expect(prev.objects[1]?.values.value).toBe(5);
  });

  it('shares the objects record when only the seq moves, and returns prev for a pending batch that changes nothing', () => {
    const prev = initial();
    const filtered = applyBatch(prev, catalog, 11, [], undefined, false, 14).state;
    expect(filtered.seq).toBe(14);
    expect(filtered.objects).toBe(prev.objects);
    expect(applyBatch(prev, catalog, 10, [[OP.set, 1, VALUE, 5]], ['me'], true).state).toBe(prev);
  });

  it('freezes touched objects, their values and children, and values that came from the wire, deeply', () => {
    const prev = initial();
    const { state, destroyed } = applyBatch(prev, catalog, 11, [
      [OP.put, 1, TAGS, 'b', 'y'],
      [OP.insert, 1, HISTORY, 0, [7]],
      [OP.create, 5, 0, 3, 0, { title: 'new' }],
      [OP.create, 6, 1, 5, 0, { label: 'x', value: 1, tags: { k: 'v' }, history: [1] }],
      [OP.destroy, 4],
      [OP.move, 2, 3, 0],
    ]);
    for (const id of [0, 1, 2, 3, 5, 6]) {
      const o = state.objects[id];
      expect(o, `object ${id}`).toBeDefined();
      expect(Object.isFrozen(o), `object ${id}`).toBe(true);
      expect(Object.isFrozen(o?.children), `children of ${id}`).toBe(true);
      expect(Object.isFrozen(o?.values), `values of ${id}`).toBe(true);
      for (const value of Object.values(o?.values ?? {})) expect(Object.isFrozen(value)).toBe(true);
    }
    expect(state.objects[1]?.values).toEqual({ label: 'cpu', value: 5, tags: { a: 'x', b: 'y' }, history: [7, 1, 2, 3] });
    expect(state.objects[3]?.children).toEqual([2, 5]);
    expect(state.objects[5]?.children).toEqual([6]);
    expect(destroyed).toEqual([{ id: 4, state: prev.objects[4] }]);
    // A set's value is the batch's own copy, frozen all the way down.
    const json = applyBatch(state, catalog, 17, [[OP.set, 1, TAGS, { deep: 'v' }]]).state;
    expect(Object.isFrozen(json.objects[1]?.values.tags)).toBe(true);
  });

  it('changes a list twice in one batch on one copy and leaves the previous list as it was', () => {
    const prev = initial();
    const before = prev.objects[1]?.values.history;
    const { state, changed } = applyBatch(prev, catalog, 11, [
      [OP.insert, 1, HISTORY, 3, [4, 5]],
      [OP.remove, 1, HISTORY, 0, 1],
      [OP.replace, 1, HISTORY, 0, 9],
    ]);
    expect(state.objects[1]?.values.history).toEqual([9, 3, 4, 5]);
    expect(prev.objects[1]?.values.history).toBe(before);
    expect(before).toEqual([1, 2, 3]);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ id: 1, attr: 'history', oldValue: [1, 2, 3], newValue: [9, 3, 4, 5] });
    expect(changed[0]?.ops.map((a) => a.seq)).toEqual([11, 12, 13]);
  });

  it('reports the last state of a destroyed object the batch changed first, frozen', () => {
    const prev = initial();
    const { destroyed } = applyBatch(prev, catalog, 11, [
      [OP.put, 4, TAGS, 'z', 'w'],
      [OP.destroy, 3],
    ]);
    expect(destroyed.map((e) => e.id)).toEqual([4, 3]);
    expect(destroyed[0]?.state.values.tags).toEqual({ z: 'w' });
    expect(Object.isFrozen(destroyed[0]?.state.values.tags)).toBe(true);
    expect(destroyed[1]?.state).toBe(prev.objects[3]);
  });

  it.each<[string, Op[], string]>([
    ['an op on a missing object', [[OP.set, 1, VALUE, 1], [OP.set, 99, VALUE, 1]], ErrorCode.UNKNOWN_OBJECT],
    ['a move into its own subtree', [[OP.put, 1, TAGS, 'b', 'y'], [OP.move, 3, 4, 0]], ErrorCode.BAD_PARENT],
    ['a create past the end', [[OP.insert, 1, HISTORY, 0, [0]], [OP.create, 7, 0, 3, 9, { title: 'x' }]], ErrorCode.BAD_INDEX],
  ])('throws on %s and leaves prev as it was', (_, ops, code) => {
    const prev = initial();
    const copy = structuredClone(prev);
    const objects = { ...prev.objects };
    expect(() => applyBatch(prev, catalog, 11, ops)).toThrow(expect.objectContaining({ code }) as Error);
    expect(prev).toEqual(copy);
    for (const id of Object.keys(objects)) expect(prev.objects[Number(id)]).toBe(objects[Number(id)]);
  });

  it('checks a pending op against the batch so far, on its own copy of a list', () => {
    const prev = initial();
    const ops: Op[] = [
      [OP.remove, 1, HISTORY, 0, 2],
      [OP.replace, 1, HISTORY, 1, 0],
    ];
    expect(() => applyBatch(prev, catalog, 10, ops, ['me', 'me'], true)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_INDEX }) as Error);
    expect(prev.objects[1]?.values.history).toEqual([1, 2, 3]);
    const { state, changed } = applyBatch(prev, catalog, 10, [ops[0] as Op, [OP.replace, 1, HISTORY, 0, 0]], ['me', 'me'], true);
    expect(state.seq).toBe(10);
    expect(state.objects[1]?.values.history).toEqual([0]);
    expect(changed[0]?.ops.every((a) => a.pending === true && a.seq === 10)).toBe(true);
  });
});

describe('snapshotState()', () => {
  it('freezes every object deeply but not the objects record', () => {
    const { state } = snapshotState(catalog, 10, structuredClone(SNAPSHOT));
    expect(Object.isFrozen(state)).toBe(true);
    expect(Object.isFrozen(state.objects)).toBe(false);
    for (const o of Object.values(state.objects)) {
      expect(Object.isFrozen(o)).toBe(true);
      expect(Object.isFrozen(o.children)).toBe(true);
      expect(Object.isFrozen(o.values)).toBe(true);
    }
    expect(Object.isFrozen(state.objects[1]?.values.tags)).toBe(true);
  });

  it('over a previous state, keeps the references of what did not change', () => {
    const prev = initial();
    const wire = flattenSnapshot(structuredClone(SNAPSHOT_OBJECTS).map((o) => (o[0] === 1 ? [1, 1, 0, ['cpu', 6, { a: 'x' }, [1, 2, 3]]] : o)));
    const { state, changed } = snapshotState(catalog, 12, wire, prev);
    expect(state.objects[2]).toBe(prev.objects[2]);
    expect(state.objects[1]).not.toBe(prev.objects[1]);
    expect(state.objects[1]?.values.tags).toBe(prev.objects[1]?.values.tags);
    expect(Object.isFrozen(state.objects[1])).toBe(true);
    expect(changed.map((e) => [e.id, e.attr, e.newValue])).toEqual([[1, 'value', 6]]);
  });
});
