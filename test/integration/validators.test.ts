/**
 * Attribute rules end to end, with a real SyncServer on port 0 and real clients: the server
 * enforces every rule on every mutation (from any client, and from server code), a client with
 * the type definitions checks them all locally, and a client without them checks the declarative
 * rules that the welcome carries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io as connectRaw } from 'socket.io-client';
import { ErrorCode, OP, PROTOCOL_VERSION, SyncError, defineType, t, typeToWire, type AnyTypeDef, type RejectMessage } from '../../shared/index.js';
import { SyncClient, type Mirror } from '../../client/index.js';
import { TypeCatalog } from '../../client/catalog.js';
import { startServer, until } from './fixtures.js';

const Root = defineType('VRoot', { name: t.string('root') });
const Note = defineType('VNote', {
  title: t.string('untitled', { minLength: 1, maxLength: 20 }),
  status: t.string('open', { oneOf: ['open', 'done'] }),
  score: t.number(0, { min: 0, max: 10, integer: true }),
  /** A custom rule: it exists only where the definition is (the server, and clients that share it). */
  even: t.number(0, { validate: (n) => n % 2 === 0 || 'must be even' }),
  tags: t.list(t.string('', { maxLength: 5, pattern: /^[a-z]+$/ }), [], { maxItems: 3, validate: (l) => new Set(l).size === l.length || 'no duplicates' }),
  counts: t.dict(t.number(0, { min: 0 }), {}, { maxKeys: 2, keyPattern: /^[a-z]+$/ }),
});
const types = [Root, Note];

const clients: SyncClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function client(url: string, local: readonly AnyTypeDef[]): SyncClient {
  const c = new SyncClient({ url, types: local, storage: null });
  clients.push(c);
  return c;
}

/** A server with one note, counting the proposals that reach it. */
async function setup(): Promise<{ url: string; tree: ReturnType<typeof serverTree>; proposals: () => number }> {
  let proposals = 0;
  const { server, url } = await startServer({
    types,
    hooks: {
      canMutate: () => {
        proposals++;
        return true;
      },
    },
  });
  return { url, tree: serverTree(server), proposals: () => proposals };
}

function serverTree(server: Awaited<ReturnType<typeof startServer>>['server']) {
  const tree = server.tree('notes', Root);
  tree.root.create(Note, { title: 'first', tags: ['a'] });
  return tree;
}

/** What a promise rejected with. */
async function rejection(promise: Promise<unknown>): Promise<SyncError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(SyncError);
    return e as SyncError;
  }
  return expect.unreachable('expected a rejection');
}

async function joined(url: string, local: readonly AnyTypeDef[]): Promise<Mirror<typeof Root.attrs>> {
  return client(url, local).join('notes', Root);
}

describe('validators across the wire', () => {
  it('a client without local types gets INVALID from the server for a custom rule, and nothing of its transaction applies', async () => {
    const { url, tree, proposals } = await setup();
    const mirror = await joined(url, []);
    const note = mirror.view(1, Note);
    const rejects: Error[] = [];
    mirror.on('reject', (e) => rejects.push(e));
    const seq = tree.seq;

    const error = await rejection(
      mirror.transact(() => {
        void note.attrs.score.set(5);
        void note.attrs.tags.push('b');
        void note.attrs.even.set(3); // only the server knows this rule
      }),
    );
    expect({ code: error.code, ref: error.ref, message: error.message }).toEqual({ code: ErrorCode.INVALID, ref: 'even', message: 'even: must be even' });
    expect(proposals()).toBe(1);
    expect(rejects.map((e) => (e instanceof SyncError ? e.code : e.message))).toEqual([ErrorCode.INVALID]);
    // Nothing of it applied, on the server or in the mirror.
    expect(tree.seq).toBe(seq);
    expect(tree.get(1)?.get('score')).toBe(0);
    expect(tree.get(1)?.get('tags')).toEqual(['a']);
    await until(() => mirror.pending === 0);
    expect([note.get('score'), note.get('tags'), note.get('even')]).toEqual([0, ['a'], 0]);

    // A valid proposal still goes through afterwards.
    await note.attrs.even.set(4);
    expect(tree.get(1)?.get('even')).toBe(4);
  });

  it('a client without local types checks the declarative rules from the welcome, without a round trip', async () => {
    const { url, tree, proposals } = await setup();
    const mirror = await joined(url, []);
    const note = mirror.view(1, Note);
    const seq = tree.seq;
    const cases: [() => Promise<unknown>, string, string][] = [
      [() => note.attrs.title.set('x'.repeat(21)), 'title', 'title: at most 20 characters'],
      [() => note.attrs.status.set('later' as 'open'), 'status', 'status: not one of "open", "done"'],
      [() => note.attrs.score.add(11), 'score', 'score: at most 10'],
      [() => note.attrs.tags.push('b', 'c', 'd'), 'tags', 'tags: at most 3 items'],
      [() => note.attrs.tags.push('B'), 'tags', 'tags[1]: does not match /^[a-z]+$/'],
      [() => note.attrs.counts.put('x', -1), 'counts', 'counts["x"]: at least 0'],
      [() => note.attrs.counts.put('X', 1), 'counts', 'counts["X"]: key does not match /^[a-z]+$/'],
      [() => mirror.root.create(Note, { title: '' }), 'title', 'title: at least 1 character'],
    ];
    for (const [call, ref, message] of cases) {
      const error = await rejection(call());
      expect({ code: error.code, ref: error.ref, message: error.message }).toEqual({ code: ErrorCode.INVALID, ref, message });
    }
    expect(proposals()).toBe(0);
    expect(tree.seq).toBe(seq);
  });

  it('a client with local types gets the same error as the server gives, locally, without a round trip', async () => {
    const { url, tree, proposals } = await setup();
    const mirror = await joined(url, types);
    const note = mirror.view(1, Note);
    const seq = tree.seq;
    const error = await rejection(
      mirror.transact(() => {
        void note.attrs.score.set(5);
        void note.attrs.even.set(3);
      }),
    );
    expect({ code: error.code, ref: error.ref, message: error.message }).toEqual({ code: ErrorCode.INVALID, ref: 'even', message: 'even: must be even' });
    expect(proposals()).toBe(0);
    expect(tree.seq).toBe(seq);
    expect(mirror.pending).toBe(0);
    expect(note.get('score')).toBe(0);

    const created = await rejection(mirror.root.create(Note, { even: 1 }));
    expect([created.code, created.ref]).toEqual([ErrorCode.INVALID, 'even']);
    expect(proposals()).toBe(0);

    await note.attrs.even.set(2);
    expect(proposals()).toBe(1);
    expect(tree.get(1)?.get('even')).toBe(2);
  });

  it('a concurrent change can make a pending proposal break a rule: the server refuses it, the mirror shows the server', async () => {
    const { url, tree } = await setup();
    const mirror = await joined(url, types);
    const note = mirror.view(1, Note);
    const serverNote = tree.get(1);
    if (serverNote === undefined || !serverNote.is(Note)) return expect.unreachable('no note 1');

    // Valid when proposed, against ['a']; by the time it reaches the server, 'b' is there already.
    const dup = note.attrs.tags.push('b');
    const full = note.attrs.counts.put('c', 1);
    expect(note.get('tags')).toEqual(['a', 'b']);
    serverNote.attrs.tags.push('b');
    serverNote.attrs.counts.put('a', 1);
    serverNote.attrs.counts.put('b', 1);

    const [e1, e2] = await Promise.all([rejection(dup), rejection(full)]);
    expect([e1.code, e1.ref, e1.message]).toEqual([ErrorCode.INVALID, 'tags', 'tags: no duplicates']);
    expect([e2.code, e2.ref, e2.message]).toEqual([ErrorCode.INVALID, 'counts', 'counts: at most 2 keys']);
    await until(() => mirror.seq === tree.seq && mirror.pending === 0);
    expect(note.get('tags')).toEqual(['a', 'b']);
    expect(note.get('counts')).toEqual({ a: 1, b: 1 });
    expect(serverNote.get('tags')).toEqual(['a', 'b']);
  });

  it('the server refuses a hostile client that skips every local check', async () => {
    const { url, tree } = await setup();
    const socket = connectRaw(url, { transports: ['websocket'], auth: { v: PROTOCOL_VERSION, clientId: 'raw-1' }, reconnection: false });
    try {
      const rejects: RejectMessage[] = [];
      socket.on('reject', (msg: RejectMessage) => rejects.push(msg));
      await new Promise<void>((resolve) => socket.once('welcome', () => resolve()));
      socket.emit('join', { tree: 'notes' });
      await new Promise<void>((resolve) => socket.once('joined', () => resolve()));
      const seq = tree.seq;
      const attr = (name: string): number => Note.attrIndex.get(name) as number;
      const proposals: [unknown[][], string][] = [
        [[[OP.set, 1, attr('score'), 3], [OP.set, 1, attr('title'), 'y'.repeat(1_000)]], 'title'],
        [[[OP.add, 1, attr('score'), 0.5]], 'score'],
        [[[OP.insert, 1, attr('tags'), 0, ['ok', 'x'.repeat(100)]]], 'tags'],
        [[[OP.put, 1, attr('counts'), 'a', 1], [OP.put, 1, attr('counts'), 'b', 1], [OP.put, 1, attr('counts'), 'c', 1]], 'counts'],
        [[[OP.set, 1, attr('status'), 'toString']], 'status'],
        [[[OP.create, -1, 1, 0, -1, { score: 11 }]], 'score'],
      ];
      proposals.forEach(([ops], i) => socket.emit('propose', { tree: 'notes', opId: i + 1, baseSeq: seq, ops }));
      await until(() => rejects.length === proposals.length);
      expect(rejects.map((r) => [r.opId, r.code, r.ref])).toEqual(proposals.map(([, ref], i) => [i + 1, ErrorCode.INVALID, ref]));
      expect(tree.seq).toBe(seq);
      expect(tree.get(1)?.get('score')).toBe(0);
      expect(tree.size).toBe(2);
    } finally {
      socket.close();
    }
  });

  it('server code gets the same SyncError, and a transaction with one bad mutation rolls back whole', async () => {
    const { tree } = await setup();
    const note = tree.get(1);
    if (note === undefined || !note.is(Note)) return expect.unreachable('no note 1');
    const seq = tree.seq;
    const e = expectInvalidSync(() => note.attrs.title.set('x'.repeat(21)), 'title');
    expect(e.message).toBe('title: at most 20 characters');
    expectInvalidSync(() => note.attrs.even.set(1), 'even');
    expectInvalidSync(() => tree.root.create(Note, { tags: ['a', 'b', 'c', 'd'] }), 'tags');
    expectInvalidSync(
      () =>
        tree.transact(() => {
          note.attrs.score.add(4);
          tree.root.create(Note, { title: 'made' });
          note.attrs.counts.put('a', 1);
          note.attrs.score.add(7); // 11: above max
        }),
      'score',
    );
    expect(tree.seq).toBe(seq);
    expect(tree.size).toBe(2);
    expect([note.get('score'), note.get('counts')]).toEqual([0, {}]);
  });
});

function expectInvalidSync(fn: () => unknown, ref: string): SyncError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SyncError);
    expect([(e as SyncError).code, (e as SyncError).ref]).toEqual([ErrorCode.INVALID, ref]);
    return e as SyncError;
  }
  return expect.unreachable('expected a throw');
}

describe('TypeCatalog and rules', () => {
  const wire = types.map(typeToWire);

  it('uses the local declarations, validators included, when they match the server', () => {
    const catalog = new TypeCatalog(JSON.parse(JSON.stringify(wire)), types);
    expect(catalog.require('VNote').specs).toEqual(Note.attrNames.map((n) => Note.attrs[n as keyof typeof Note.attrs]));
    expect(catalog.require('VNote').specs[Note.attrIndex.get('even') as number]?.rules?.validate).toBeTypeOf('function');
  });

  it('without local types, builds the declarative rules from the wire', () => {
    const catalog = new TypeCatalog(JSON.parse(JSON.stringify(wire)));
    const specs = catalog.require('VNote').specs;
    expect(specs[Note.attrIndex.get('title') as number]?.rules).toStrictEqual({ minLength: 1, maxLength: 20 });
    expect(specs[Note.attrIndex.get('even') as number]?.rules).toBeUndefined();
    expect(specs[Note.attrIndex.get('tags') as number]?.of?.rules).toStrictEqual({ maxLength: 5, pattern: /^[a-z]+$/ });
    expect(specs[Note.attrIndex.get('counts') as number]?.rules).toStrictEqual({ maxKeys: 2, keyPattern: /^[a-z]+$/ });
  });

  it("takes the server's rules, and the local default, when a local definition has other rules", () => {
    const Older = defineType('VNote', { title: t.string('old', { maxLength: 3, validate: (v) => v !== 'zzz' || 'never' }), score: t.number(5) });
    const catalog = new TypeCatalog(JSON.parse(JSON.stringify(wire)), [Root, Older]);
    const title = catalog.require('VNote').specs[Note.attrIndex.get('title') as number];
    expect(title?.rules).toStrictEqual({ minLength: 1, maxLength: 20 });
    expect(title?.default).toBe('old');
    expect(title?.rules?.validate).toBeUndefined();
    const score = catalog.require('VNote').specs[Note.attrIndex.get('score') as number];
    expect([score?.rules, score?.default]).toStrictEqual([{ min: 0, max: 10, integer: true }, 5]);
    // Same kind and rules (none): the local declaration itself.
    const Same = defineType('VRoot', { name: t.string('local') });
    expect(new TypeCatalog(JSON.parse(JSON.stringify(wire)), [Same]).require('VRoot').specs[0]).toBe(Same.attrs.name);
  });

  it('reads a welcome from a server without rules as before', () => {
    const catalog = new TypeCatalog([['VNote', [['title', 'string'], ['tags', ['list', 'string']]]]], types);
    const [title, tags] = catalog.require('VNote').specs;
    expect(title?.rules).toBeUndefined();
    expect(title?.default).toBe('untitled');
    expect(tags?.of?.rules).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['rules that are not an object', [['T', [['a', 'string', 'maxLength']]]]],
    ['rules that are null', [['T', [['a', 'string', null]]]]],
    ['a malformed rule', [['T', [['a', 'string', { maxLength: -1 }]]]]],
    ['a fourth element', [['T', [['a', 'string', {}, {}]]]]],
  ])('refuses %s with BAD_MESSAGE', (_, hostile) => {
    expect(() => new TypeCatalog(hostile)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_MESSAGE }) as Error);
  });
});
