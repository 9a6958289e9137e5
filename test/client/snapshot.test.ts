/**
 * The flat snapshot a `joined` carries (protocol 2), read by the client: every junk form is a
 * coded SyncError and never a half-built mirror; short objects take their defaults; the compiled
 * values records are the records the plain loop makes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TypeCatalog, valuesMaker } from '../../client/catalog.js';
import { SyncClient } from '../../client/index.js';
import { snapshotState } from '../../client/snapshot.js';
import { ErrorCode, SyncError, flattenSnapshot, typeToWire, unflattenSnapshot, type Json, type WireObject } from '../../shared/index.js';
import { FakeTransport, SNAPSHOT, SNAPSHOT_OBJECTS, TYPES } from './fake-transport.js';

const catalog = new TypeCatalog(TYPES.map(typeToWire), TYPES);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SyncError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('a flat snapshot', () => {
  it('is the wire objects, each as id, type, parent, n and its n values, and reads back the same', () => {
    expect(SNAPSHOT.slice(0, 13)).toEqual([0, 0, -1, 1, 'root', 1, 1, 0, 4, 'cpu', 5, { a: 'x' }, [1, 2, 3]]);
    expect(unflattenSnapshot(SNAPSHOT)).toEqual(SNAPSHOT_OBJECTS);
    expect(unflattenSnapshot([])).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['not an array', { 0: 0 }],
    ['a head cut short', [0, 0, -1]],
    ['n past the end', [0, 0, -1, 2, 'root']],
    ['a negative n', [0, 0, -1, -1]],
    ['a fractional id', [0.5, 0, -1, 0]],
    ['a string type', [0, '0', -1, 0]],
  ])('refuses %s as BAD_MESSAGE when read back', (_, junk) => {
    expect(codeOf(() => unflattenSnapshot(junk))).toBe(ErrorCode.BAD_MESSAGE);
  });

  it('builds the mirror state with objects, children and values by name', () => {
    const { state } = snapshotState(catalog, 10, SNAPSHOT);
    expect(state.root).toBe(0);
    expect(state.objects[0]).toEqual({ id: 0, type: 'Folder', parent: null, children: [1, 2, 3], values: { title: 'root' } });
    expect(state.objects[1]?.values).toEqual({ label: 'cpu', value: 5, tags: { a: 'x' }, history: [1, 2, 3] });
    expect(state.objects[4]).toEqual({ id: 4, type: 'Gauge', parent: 3, children: [], values: { label: 'disk', value: 0, tags: {}, history: [] } });
    expect(Object.keys(state.objects[1]?.values ?? {})).toEqual(['label', 'value', 'tags', 'history']);
  });

  it('gives the attributes an object does not carry their defaults (an older layout), and freezes them', () => {
    const { state } = snapshotState(catalog, 1, [0, 0, -1, 1, 'root', 1, 1, 0, 1, 'cpu']);
    expect(state.objects[1]?.values).toEqual({ label: 'cpu', value: 0, tags: {}, history: [] });
    expect(Object.isFrozen(state.objects[1]?.values['history'])).toBe(true);
  });

  it.each<[string, readonly unknown[], ErrorCode]>([
    ['an empty snapshot', [], ErrorCode.BAD_MESSAGE],
    ['a root with a parent', [0, 0, 5, 1, 'root'], ErrorCode.BAD_MESSAGE],
    ['a string id', ['0', 0, -1, 1, 'root'], ErrorCode.BAD_MESSAGE],
    ['a negative id', [-3, 0, -1, 1, 'root'], ErrorCode.BAD_MESSAGE],
    ['a repeated id', [0, 0, -1, 1, 'root', 0, 0, 0, 1, 'again'], ErrorCode.BAD_MESSAGE],
    ['an unknown type', [0, 9, -1, 0], ErrorCode.UNKNOWN_TYPE],
    ['a fractional type', [0, 0.5, -1, 0], ErrorCode.UNKNOWN_TYPE],
    ['no n', [0, 0, -1], ErrorCode.BAD_MESSAGE],
    ['n as a string', [0, 0, -1, '1', 'root'], ErrorCode.BAD_MESSAGE],
    ['a negative n', [0, 0, -1, -1, 'root'], ErrorCode.BAD_MESSAGE],
    ['more values than attributes', [0, 0, -1, 2, 'root', 'extra'], ErrorCode.BAD_MESSAGE],
    ['values past the end', [0, 0, -1, 1, 'root', 1, 1, 0, 4, 'cpu', 5], ErrorCode.BAD_MESSAGE],
    ['a child before its parent', [0, 0, -1, 1, 'root', 2, 1, 7, 0], ErrorCode.BAD_MESSAGE],
    ['a parent that is a value', [0, 0, -1, 1, 'root', 2, 1, 'root', 0], ErrorCode.BAD_MESSAGE],
    ['a head cut short after an object', [0, 0, -1, 1, 'root', 1, 1], ErrorCode.BAD_MESSAGE],
    ['the old nested form', [[0, 0, -1, ['root']]], ErrorCode.BAD_MESSAGE],
  ])('refuses %s with a coded error', (_, junk, code) => {
    expect(codeOf(() => snapshotState(catalog, 1, junk))).toBe(code);
  });

  it('never throws anything but a SyncError, whatever the array holds', () => {
    const junk = fc.array(fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom<unknown>('root', null, [], {}, 1.5, 'cpu', -1)), { maxLength: 24 });
    fc.assert(
      fc.property(junk, (flat) => {
        try {
          const { state } = snapshotState(catalog, 1, flat);
          // Whatever it accepted is a whole tree: every object's parent holds it.
          for (const o of Object.values(state.objects)) if (o.parent !== null) expect(state.objects[o.parent]?.children).toContain(o.id);
        } catch (error) {
          expect(error).toBeInstanceOf(SyncError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads any tree the server could send as the same state its wire objects describe', () => {
    const trees = fc.array(fc.tuple(fc.nat(), fc.string(), fc.integer(), fc.dictionary(fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'), fc.string()), fc.array(fc.integer())), { maxLength: 30 });
    fc.assert(
      fc.property(trees, (rows) => {
        const objects: WireObject[] = [[0, 0, -1, ['root']]];
        rows.forEach(([parent, name, value, tags, history], i) => objects.push([i + 1, 1, parent % (i + 1), [name, value, tags, history]]));
        const { state } = snapshotState(catalog, 1, flattenSnapshot(objects));
        for (const [id, , parent, values] of objects) {
          const o = state.objects[id];
          expect(o?.parent).toBe(parent === -1 ? null : parent);
          expect(Object.values(o?.values ?? {})).toEqual(values);
          if (parent !== -1) expect(state.objects[parent]?.children).toContain(id);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fails a join whose snapshot is junk with BAD_MESSAGE, and keeps nothing of it: the next join starts clean', async () => {
    const transport = new FakeTransport();
    const client = new SyncClient({ transport, clientId: 'me', storage: null });
    const joining = client.join('t');
    transport.connect();
    transport.take();
    transport.deliver('joined', { tree: 't', ref: 1, seq: 3, epoch: 'e1', snapshot: [0, 0, -1, 3, 'root'] });
    await expect(joining).rejects.toMatchObject({ code: ErrorCode.BAD_MESSAGE });
    const again = client.join('t');
    expect(transport.take()).toEqual([['join', { tree: 't' }]]);
    transport.deliver('joined', { tree: 't', ref: 2, seq: 10, epoch: 'e1', snapshot: SNAPSHOT });
    const mirror = await again;
    expect(mirror.seq).toBe(10);
    expect(Object.keys(mirror.state.objects)).toEqual(['0', '1', '2', '3', '4']);
  });
});

describe('valuesAt, compiled and as a loop', () => {
  const awkward = ['name', 'a"quote', 'back\\slash', 'line\u2028sep', '0', '10', '', ' spaced out ', 'é', '}; throw 1; ({'];

  it('makes the same record, keys in the same order, either way', () => {
    const flat: Json[] = ['skip', ...awkward.map((_, k) => k * 10), 'after'];
    const compiled = valuesMaker(awkward, true)(flat, 1);
    const looped = valuesMaker(awkward, false)(flat, 1);
    expect(compiled).toEqual(looped);
    expect(Object.keys(compiled)).toEqual(Object.keys(looped));
    expect(compiled['}; throw 1; ({']).toBe(90);
    expect(Object.getPrototypeOf(compiled)).toBe(Object.prototype);
  });

  it('makes a new record each time, and one for a type without attributes', () => {
    const make = valuesMaker(['a'], true);
    const one = make([1], 0);
    expect(make([1], 0)).not.toBe(one);
    expect(valuesMaker([], true)([], 0)).toEqual({});
  });
});
