import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.js';
import type { Json } from '../../shared/json.js';
import { OP } from '../../shared/ops.js';
import { A, Folder, Stranger, TI, expectSyncError, frozenSnapshot, rawOp } from './support.js';
import { fixture, type Fixture } from './tree-support.js';

describe('Tree.apply()', () => {
  describe('rejections', () => {
    interface Case {
      readonly code: ErrorCode;
      readonly act: (f: Fixture) => unknown;
      readonly ref?: string | number;
      /** Changes the fixture first; the bad op is judged against the state after it. */
      readonly setup?: (f: Fixture) => void;
    }
    const cases: Record<string, Case> = {
      // UNKNOWN_OBJECT
      'set on a missing object': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.set, 99, 0, 'x']) },
      'set on a negative id': { code: ErrorCode.UNKNOWN_OBJECT, ref: -1, act: (f) => f.tree.apply([OP.set, -1, 0, 'x']) },
      'destroy a missing object': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.destroy, 99]) },
      'move a missing object': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.move, 99, 0, 0]) },
      'move under a missing parent': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.move, 4, 99, 0]) },
      'create under a missing parent': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.create, -1, TI.Folder, 99, -1, {}]) },
      'set through the handle of a destroyed object': {
        code: ErrorCode.UNKNOWN_OBJECT,
        ref: 4,
        setup: (f) => f.other.destroy(),
        act: (f) => f.other.attrs.name.set('ghost'),
      },
      'create under a destroyed object': {
        code: ErrorCode.UNKNOWN_OBJECT,
        ref: 4,
        setup: (f) => f.other.destroy(),
        act: (f) => f.other.create(Folder),
      },
      // UNKNOWN_ATTRIBUTE
      'set on attribute 99': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: 99, act: (f) => f.tree.apply([OP.set, 2, 99, 'x']) },
      'set on attribute -1': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: -1, act: (f) => f.tree.apply([OP.set, 2, -1, 'x']) },
      'add on attribute 6': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: 6, act: (f) => f.tree.apply([OP.add, 2, 6, 1]) },
      'create with an undeclared attribute': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: 'nope', act: (f) => f.tree.apply([OP.create, -1, TI.Item, 0, -1, { nope: 1 }]) },
      'get an undeclared attribute': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: 'nope', act: (f) => f.item.get('nope' as 'title') },
      // WRONG_KIND
      'add on a string': { code: ErrorCode.WRONG_KIND, ref: 'title', act: (f) => f.tree.apply([OP.add, 2, A.title, 1]) },
      'add on a boolean': { code: ErrorCode.WRONG_KIND, ref: 'done', act: (f) => f.tree.apply([OP.add, 2, A.done, 1]) },
      'put on a list': { code: ErrorCode.WRONG_KIND, ref: 'list', act: (f) => f.tree.apply([OP.put, 2, A.list, 'k', 1]) },
      'delete on a json': { code: ErrorCode.WRONG_KIND, ref: 'data', act: (f) => f.tree.apply([OP.delete, 2, A.data, 'k']) },
      'insert into a dict': { code: ErrorCode.WRONG_KIND, ref: 'tags', act: (f) => f.tree.apply([OP.insert, 2, A.tags, 0, ['a']]) },
      'remove from a number': { code: ErrorCode.WRONG_KIND, ref: 'count', act: (f) => f.tree.apply([OP.remove, 2, A.count, 0, 1]) },
      'listMove on a string': { code: ErrorCode.WRONG_KIND, ref: 'title', act: (f) => f.tree.apply([OP.listMove, 2, A.title, 0, 1]) },
      'replace in a dict': { code: ErrorCode.WRONG_KIND, ref: 'tags', act: (f) => f.tree.apply([OP.replace, 2, A.tags, 0, 'a']) },
      // BAD_VALUE
      'set a string to a number': { code: ErrorCode.BAD_VALUE, ref: 'title', act: (f) => f.tree.apply([OP.set, 2, A.title, 1]) },
      'set a number to a string': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.set, 2, A.count, '1']) },
      'set a number to NaN': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.set, 2, A.count, NaN]) },
      'set a number to Infinity': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.set, 2, A.count, Infinity]) },
      'set a boolean to "true"': { code: ErrorCode.BAD_VALUE, ref: 'done', act: (f) => f.tree.apply([OP.set, 2, A.done, 'true']) },
      'set a json to undefined': { code: ErrorCode.BAD_VALUE, ref: 'data', act: (f) => f.tree.apply(rawOp(OP.set, 2, A.data, undefined)) },
      'set a json to a Date': { code: ErrorCode.BAD_VALUE, ref: 'data', act: (f) => f.tree.apply(rawOp(OP.set, 2, A.data, new Date(0))) },
      'set a json holding a function': { code: ErrorCode.BAD_VALUE, ref: 'data', act: (f) => f.tree.apply(rawOp(OP.set, 2, A.data, { f: () => 1 })) },
      'set a json nested 100 deep': {
        code: ErrorCode.BAD_VALUE,
        ref: 'data',
        act: (f) => {
          let v: Json = 0;
          for (let i = 0; i < 100; i++) v = [v];
          return f.tree.apply([OP.set, 2, A.data, v]);
        },
      },
      'set a dict to an array': { code: ErrorCode.BAD_VALUE, ref: 'tags', act: (f) => f.tree.apply([OP.set, 2, A.tags, ['a']]) },
      'set a dict with a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'tags', act: (f) => f.tree.apply([OP.set, 2, A.tags, { a: 1 }]) },
      'set a list to a dict': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.set, 2, A.list, { 0: 1 }]) },
      'set a list with a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.set, 2, A.list, [1, 'two']]) },
      'add NaN': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.add, 2, A.count, NaN]) },
      'add a string': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply(rawOp(OP.add, 2, A.count, '1')) },
      'add up to Infinity': {
        code: ErrorCode.BAD_VALUE,
        ref: 'count',
        setup: (f) => f.item.attrs.count.set(Number.MAX_VALUE),
        act: (f) => f.tree.apply([OP.add, 2, A.count, Number.MAX_VALUE]),
      },
      'put a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'tags', act: (f) => f.tree.apply([OP.put, 2, A.tags, 'k', 5]) },
      'insert no items': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, 0, []]) },
      'insert items that are not an array': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply(rawOp(OP.insert, 2, A.list, 0, 5)) },
      'insert a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, 0, [1, null]]) },
      'replace with a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.replace, 2, A.list, 0, 'x']) },
      'create with a wrong initial value': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.create, -1, TI.Item, 0, -1, { count: 'x' }]) },
      // BAD_INDEX
      'insert past the end': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, 4, [1]]) },
      'insert at -2': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, -2, [1]]) },
      'insert at 0.5': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, 0.5, [1]]) },
      'insert at NaN': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, NaN, [1]]) },
      'remove at the length': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, 3, 1]) },
      'remove at -1': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, -1, 1]) },
      'remove 0 items': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, 0, 0]) },
      'remove past the end': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, 1, 3]) },
      'remove a fractional count': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, 0, 1.5]) },
      'remove from an empty list': {
        code: ErrorCode.BAD_INDEX,
        ref: 'list',
        setup: (f) => f.item.attrs.list.set([]),
        act: (f) => f.item.attrs.list.remove(0),
      },
      'listMove from the length': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.listMove, 2, A.list, 3, 0]) },
      'listMove to the length': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.listMove, 2, A.list, 0, 3]) },
      'listMove to -1': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.listMove, 2, A.list, 0, -1]) },
      'replace at the length': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.replace, 2, A.list, 3, 1]) },
      'replace at -1': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.replace, 2, A.list, -1, 1]) },
      'create past the last child': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.tree.root.create(Folder, {}, 3) },
      'create at -2': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.tree.root.create(Folder, {}, -2) },
      'create at 0.5': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.tree.root.create(Folder, {}, 0.5) },
      'create at 2^53': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.tree.root.create(Folder, {}, 2 ** 53) },
      'move within the parent to its length': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.other.move(f.tree.root, 2) },
      'move to another parent past its end': { code: ErrorCode.BAD_INDEX, ref: 1, act: (f) => f.other.move(f.folder, 2) },
      'move to -2': { code: ErrorCode.BAD_INDEX, ref: 1, act: (f) => f.other.move(f.folder, -2) },
      'move to 1.5': { code: ErrorCode.BAD_INDEX, ref: 1, act: (f) => f.other.move(f.folder, 1.5) },
      // BAD_KEY
      'put __proto__': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.put('__proto__', 'x') },
      'put constructor': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.put('constructor', 'x') },
      'delete prototype': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.delete('prototype') },
      'delete a missing key': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.delete('missing') },
      'delete an inherited key': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.delete('toString') },
      'set a dict with a parsed __proto__ key': {
        code: ErrorCode.BAD_KEY,
        ref: 'tags',
        act: (f) => f.tree.apply([OP.set, 2, A.tags, JSON.parse('{"__proto__":"x"}') as Json]),
      },
      'set a json with a nested __proto__ key': {
        code: ErrorCode.BAD_KEY,
        ref: 'data',
        act: (f) => f.tree.apply([OP.set, 2, A.data, JSON.parse('{"a":[{"__proto__":{}}]}') as Json]),
      },
      'create with a parsed __proto__ key in a value': {
        code: ErrorCode.BAD_KEY,
        ref: 'tags',
        act: (f) => f.tree.apply([OP.create, -1, TI.Item, 0, -1, JSON.parse('{"tags":{"__proto__":"x"}}') as Record<string, Json>]),
      },
      // BAD_PARENT
      'destroy the root': { code: ErrorCode.BAD_PARENT, ref: 0, act: (f) => f.tree.root.destroy() },
      'move the root': { code: ErrorCode.BAD_PARENT, ref: 0, act: (f) => f.tree.apply([OP.move, 0, 1, 0]) },
      'move an object into itself': { code: ErrorCode.BAD_PARENT, ref: 2, act: (f) => f.item.move(f.item) },
      'move an object into its child': { code: ErrorCode.BAD_PARENT, ref: 2, act: (f) => f.folder.move(f.item, 0) },
      'move an object into its grandchild': { code: ErrorCode.BAD_PARENT, ref: 3, act: (f) => f.folder.move(3) },
      // UNKNOWN_TYPE
      'create type index 99': { code: ErrorCode.UNKNOWN_TYPE, ref: 99, act: (f) => f.tree.apply([OP.create, -1, 99, 0, -1, {}]) },
      'create type index -1': { code: ErrorCode.UNKNOWN_TYPE, ref: -1, act: (f) => f.tree.apply([OP.create, -1, -1, 0, -1, {}]) },
      'create type index 1.5': { code: ErrorCode.UNKNOWN_TYPE, ref: 1.5, act: (f) => f.tree.apply([OP.create, -1, 1.5, 0, -1, {}]) },
      'create an unregistered type': { code: ErrorCode.UNKNOWN_TYPE, ref: 'Stranger', act: (f) => f.tree.root.create(Stranger) },
    };

    it.each(Object.entries(cases))('%s: coded error, and nothing changes', (_name, { code, ref, setup, act }) => {
      const f = fixture();
      setup?.(f);
      const before = frozenSnapshot(f.tree);
      const seq = f.tree.seq;
      const size = f.tree.size;
      f.commits.length = 0;
      const err = expectSyncError(() => act(f), code, ref);
      expect(err.message).not.toBe('');
      expect(frozenSnapshot(f.tree)).toEqual(before);
      expect(f.tree.seq).toBe(seq);
      expect(f.tree.size).toBe(size);
      expect(f.commits).toEqual([]);
      expect(f.tree.log.since(seq, seq)).toEqual({ ops: [], origins: [] });
    });

    it('leaves every error code of the brief covered', () => {
      const codes = new Set(Object.values(cases).map((c) => c.code));
      expect([...codes].sort()).toEqual(
        ['BAD_INDEX', 'BAD_KEY', 'BAD_PARENT', 'BAD_VALUE', 'UNKNOWN_ATTRIBUTE', 'UNKNOWN_OBJECT', 'UNKNOWN_TYPE', 'WRONG_KIND'].sort(),
      );
    });
  });
});
