import { describe, expect, it } from 'vitest';
import { ErrorCode, OP, PROTOCOL_VERSION, SyncError, encodeBatch, flattenSnapshot, type Op } from '../../shared/index.js';
import { SyncClient, type ChangeEvent, type DestroyEvent, type Mirror, type MoveEvent } from '../../client/index.js';
import { FakeTransport, Folder, Gauge, SNAPSHOT, TYPES, welcome } from './fake-transport.js';

async function setup(): Promise<{ transport: FakeTransport; client: SyncClient; mirror: Mirror }> {
  const transport = new FakeTransport();
  const client = new SyncClient({ transport, clientId: 'me', types: TYPES });
  transport.connect();
  const joining = client.join('t');
  expect(transport.take()).toEqual([['join', { tree: 't' }]]);
  transport.deliver('joined', { tree: 't', ref: 7, seq: 10, epoch: 'e1', snapshot: SNAPSHOT });
  return { transport, client, mirror: await joining };
}

async function outcome(p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  await new Promise((r) => setTimeout(r, 0));
  return s;
}

function record(mirror: Mirror): { kind: string; event: unknown }[] {
  const events: { kind: string; event: unknown }[] = [];
  mirror.on('create', (view) => events.push({ kind: 'create', event: view.id }));
  mirror.on('destroy', (e) => events.push({ kind: 'destroy', event: e.id }));
  mirror.on('move', (e) => events.push({ kind: 'move', event: e }));
  mirror.on('change', (e) => events.push({ kind: 'change', event: e }));
  mirror.on('batch', (s) => events.push({ kind: 'batch', event: s.seq }));
  return events;
}

describe('SyncClient', () => {
  it('sends the protocol version, the client id and the batch form in the handshake auth', () => {
    const transport = new FakeTransport();
    new SyncClient({ transport, clientId: 'me', auth: { token: 'k', v: 99 } });
    expect(transport.auth?.()).toEqual({ token: 'k', v: PROTOCOL_VERSION, clientId: 'me', batches: 'binary' });
    const json = new FakeTransport();
    new SyncClient({ transport: json, clientId: 'me', batches: 'json' });
    expect(json.auth?.()).toEqual({ v: PROTOCOL_VERSION, clientId: 'me', batches: 'json' });
  });

  it('applies binary batches as their JSON form, and rejoins past one that does not decode', async () => {
    const { transport, mirror } = await setup();
    transport.deliver('b', encodeBatch([7, 11, [[OP.set, 0, 0, 'binary']]]));
    expect(mirror.seq).toBe(11);
    expect(mirror.root.state.values).toEqual({ title: 'binary' });
    // Seq 12 arrives broken: seq 13 then shows a gap, and the mirror asks for what it missed.
    transport.deliver('b', encodeBatch([7, 12, [[OP.set, 0, 0, 'lost']]]).slice(0, 6));
    transport.deliver('b', encodeBatch([7, 13, [[OP.set, 0, 0, 'after']]]));
    expect(mirror.seq).toBe(11);
    expect(transport.take()).toEqual([['join', { tree: 't', since: 11, epoch: 'e1' }]]);
  });

  it('queues a join made before the welcome', async () => {
    const transport = new FakeTransport();
    const client = new SyncClient({ transport, clientId: 'me' });
    const joining = client.join('t');
    transport.connect();
    expect(transport.take()).toEqual([['join', { tree: 't' }]]);
    transport.deliver('joined', { tree: 't', ref: 1, seq: 3, epoch: 'e1', snapshot: [0, 0, -1, 1, 'r'] });
    expect((await joining).seq).toBe(3);
  });

  it('rejects a join the server refuses with an error naming the tree', async () => {
    const transport = new FakeTransport();
    const client = new SyncClient({ transport, clientId: 'me' });
    transport.connect();
    const joining = client.join('nope');
    transport.deliver('error', { code: 'UNKNOWN_TREE', message: 'no tree nope', ref: 'nope' });
    await expect(joining).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TREE });
  });
});

describe('Mirror state', () => {
  it('materializes the snapshot: objects, children, values, frozen', async () => {
    const { mirror } = await setup();
    expect(mirror.seq).toBe(10);
    expect(mirror.state.root).toBe(0);
    expect(mirror.state.objects[0]?.children).toEqual([1, 2, 3]);
    expect(mirror.state.objects[1]).toEqual({ id: 1, type: 'Gauge', parent: 0, children: [], values: { label: 'cpu', value: 5, tags: { a: 'x' }, history: [1, 2, 3] } });
    expect(Object.isFrozen(mirror.state.objects[1]?.values.history)).toBe(true);
    const cpu = mirror.view(1, Gauge);
    expect(cpu.attrs.value.value).toBe(5);
    expect(cpu.attrs.tags.get('a')).toBe('x');
    expect(cpu.parent).toBe(mirror.root);
    expect(mirror.root.children.map((v) => v.id)).toEqual([1, 2, 3]);
    expect(mirror.get(1)).toBe(cpu);
    expect(() => mirror.view(3, Gauge)).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_TYPE }));
  });

  it('applies every kind of op', async () => {
    const { transport, mirror } = await setup();
    transport.batch(11, [
      [OP.set, 1, 0, 'CPU'],
      [OP.add, 1, 1, 2.5],
      [OP.put, 1, 2, 'b', 'y'],
      [OP.delete, 1, 2, 'a'],
      [OP.insert, 1, 3, 1, [7, 8]],
      [OP.remove, 1, 3, 0, 1],
      [OP.listMove, 1, 3, 0, 3],
      [OP.replace, 1, 3, 0, 9],
      [OP.create, 5, 1, 3, 0, { label: 'new', value: 1, tags: {}, history: [] }],
      [OP.move, 2, 3, 1],
      [OP.destroy, 4],
    ]);
    const s = mirror.state;
    expect(s.seq).toBe(21);
    expect(s.objects[1]?.values).toEqual({ label: 'CPU', value: 7.5, tags: { b: 'y' }, history: [9, 2, 3, 7] });
    expect(s.objects[0]?.children).toEqual([1, 3]);
    expect(s.objects[3]?.children).toEqual([5, 2]);
    expect(s.objects[2]?.parent).toBe(3);
    expect(s.objects[4]).toBeUndefined();
  });

  it('shares untouched objects and makes a new root per batch', async () => {
    const { transport, mirror } = await setup();
    const before = mirror.state;
    transport.batch(11, [[OP.add, 1, 1, 1]]);
    const after = mirror.state;
    expect(after).not.toBe(before);
    expect(after.objects[1]).not.toBe(before.objects[1]);
    expect(after.objects[2]).toBe(before.objects[2]);
    expect(after.objects[1]?.values.history).toBe(before.objects[1]?.values.history);
  });

  it('skips scribes it already has in overlapping batches', async () => {
    const { transport, mirror } = await setup();
    transport.batch(11, [[OP.add, 1, 1, 1], [OP.add, 1, 1, 1]]);
    const changes: ChangeEvent[] = [];
    mirror.on('change', (e) => changes.push(e));
    transport.batch(11, [[OP.add, 1, 1, 1], [OP.add, 1, 1, 1], [OP.add, 1, 1, 10]]);
    transport.batch(12, [[OP.add, 1, 1, 1]]);
    expect(mirror.state.objects[1]?.values.value).toBe(17);
    expect(changes.map((c) => c.ops.map((o) => o.seq))).toEqual([[13]]);
  });

  it('detects a gap, rejoins with since, drops batches until joined, and recovers', async () => {
    const { transport, mirror } = await setup();
    transport.batch(13, [[OP.add, 1, 1, 100]]);
    expect(transport.take()).toEqual([['join', { tree: 't', since: 10, epoch: 'e1' }]]);
    transport.batch(14, [[OP.add, 1, 1, 100]]);
    expect(mirror.seq).toBe(10);
    transport.deliver('joined', { tree: 't', ref: 8, seq: 14, epoch: 'e1' });
    transport.batch(11, [[OP.add, 1, 1, 1], [OP.add, 1, 1, 1], [OP.add, 1, 1, 1], [OP.add, 1, 1, 1]], undefined, 8);
    expect(mirror.seq).toBe(14);
    expect(mirror.state.objects[1]?.values.value).toBe(9);
  });

  it('heals from a batch that does not fit with a fresh snapshot', async () => {
    const logged: string[] = [];
    const transport = new FakeTransport();
    const client = new SyncClient({ transport, clientId: 'me', logger: { warn: (m) => logged.push(m) } });
    transport.connect();
    const joining = client.join('t');
    transport.deliver('joined', { tree: 't', ref: 7, seq: 10, epoch: 'e1', snapshot: SNAPSHOT });
    const mirror = await joining;
    transport.take();
    transport.batch(11, [[OP.set, 99, 0, 'ghost']]);
    expect(mirror.seq).toBe(10);
    expect(logged).toHaveLength(1);
    expect(transport.take()).toEqual([['join', { tree: 't' }]]);
  });
});

describe('Mirror events', () => {
  it('emits one change per object and attribute per batch, with ops, origins and old/new values', async () => {
    const { transport, mirror } = await setup();
    const onView: ChangeEvent[] = [];
    mirror.get(1)?.on('change', (e) => onView.push(e));
    const events = record(mirror);
    transport.batch(11, [[OP.add, 1, 1, 1], [OP.set, 2, 0, 'MEM'], [OP.add, 1, 1, 2]], [[1, 'alice'], [2, 'bob']]);
    expect(events.map((e) => e.kind)).toEqual(['change', 'change', 'batch']);
    const value = events[0]?.event as ChangeEvent;
    expect(value).toMatchObject({ id: 1, attr: 'value', oldValue: 5, newValue: 8 });
    expect(value.ops).toEqual([
      { op: [OP.add, 1, 1, 1], seq: 11, origin: 'alice' },
      { op: [OP.add, 1, 1, 2], seq: 13, origin: 'bob' },
    ]);
    expect(onView).toEqual([value]);
  });

  it('emits create (parents first), destroy (children first) and move, and no changes for objects made or gone in the batch', async () => {
    const { transport, mirror } = await setup();
    const events = record(mirror);
    const destroyed: DestroyEvent[] = [];
    const moved: MoveEvent[] = [];
    mirror.get(4)?.on('destroy', (e) => destroyed.push(e));
    mirror.get(1)?.on('move', (e) => moved.push(e));
    transport.batch(11, [
      [OP.create, 5, 0, 0, 0, { title: 'a' }],
      [OP.create, 6, 1, 5, 0, { label: 'b', value: 0, tags: {}, history: [] }],
      [OP.set, 6, 0, 'c'],
      [OP.set, 4, 0, 'gone'],
      [OP.destroy, 3],
      [OP.move, 1, 5, 1],
    ]);
    expect(events.map((e) => `${e.kind}:${typeof e.event === 'number' ? e.event : (e.event as MoveEvent).id}`)).toEqual([
      'destroy:4',
      'destroy:3',
      'create:5',
      'create:6',
      'move:1',
      'batch:16',
    ]);
    expect(moved).toEqual([{ id: 1, oldParent: 0, newParent: 5, index: 1 }]);
    expect(destroyed[0]?.state.values).toMatchObject({ label: 'gone' });
    expect(mirror.get(4)).toBeUndefined();
    expect(mirror.get(6)?.get('label')).toBe('c');
  });

  it('turns a re-snapshot into destroy, create, move and change events, keeping unchanged references', async () => {
    const { transport, mirror } = await setup();
    const before = mirror.state;
    const events = record(mirror);
    const cpu = mirror.get(1);
    transport.drop();
    transport.connect();
    expect(transport.take()).toEqual([['join', { tree: 't', since: 10, epoch: 'e1' }]]);
    transport.deliver('joined', {
      tree: 't',
      ref: 9,
      seq: 50,
      snapshot: flattenSnapshot([
        [0, 0, -1, ['root']],
        [3, 0, 0, ['sub']],
        [1, 1, 0, ['cpu', 6, { a: 'x' }, [1, 2, 3]]],
        [5, 1, 3, ['new', 0, {}, []]],
        [4, 1, 3, ['disk', 0, {}, []]],
      ]),
    });
    expect(mirror.seq).toBe(50);
    expect(events.map((e) => e.kind)).toEqual(['destroy', 'create', 'move', 'move', 'change', 'batch']);
    expect(events[0]?.event).toBe(2);
    expect(events[1]?.event).toBe(5);
    expect(events[2]?.event).toEqual({ id: 3, oldParent: 0, newParent: 0, index: 0 });
    expect(events[3]?.event).toEqual({ id: 1, oldParent: 0, newParent: 0, index: 1 });
    expect(events[4]?.event).toEqual({ id: 1, attr: 'value', ops: [{ op: [OP.set, 1, 1, 6], seq: 50, origin: 'server' }], oldValue: 5, newValue: 6 });
    expect(mirror.state.objects[4]).toBe(before.objects[4]);
    expect(mirror.state.objects[1]?.values.history).toBe(before.objects[1]?.values.history);
    expect(mirror.get(1)).toBe(cpu);
    expect(cpu?.alive).toBe(true);
  });
});

describe('proposals', () => {
  it('resolves only when both the ack and the batch arrived, whichever comes first', async () => {
    const { transport, mirror } = await setup();
    const gauge = mirror.view(1, Gauge);
    const done = gauge.attrs.value.add(2);
    expect(transport.take()).toEqual([['propose', { tree: 't', opId: 1, baseSeq: 10, seen: 0, ops: [[OP.add, 1, 1, 2]] }]]);
    transport.deliver('ack', { opId: 1, seq: 11 });
    expect(await outcome(done)).toBe('pending');
    transport.batch(11, [[OP.add, 1, 1, 2]], [[1, 'me']]);
    expect(await done).toEqual({ opId: 1, seq: 11, ids: [] });
    expect(gauge.attrs.value.value).toBe(7);
    // Its answer arrived: the next proposal tells the server it may forget it.
    void gauge.attrs.value.add(1);
    expect(transport.take()).toEqual([['propose', { tree: 't', opId: 2, baseSeq: 11, seen: 1, ops: [[OP.add, 1, 1, 1]] }]]);
  });

  it('rejects with the SyncError code of a reject and emits reject on the mirror', async () => {
    const { transport, mirror } = await setup();
    const rejects: number[] = [];
    mirror.on('reject', (_e, opId) => rejects.push(opId));
    const done = mirror.view(1, Gauge).attrs.label.set('no');
    transport.deliver('reject', { opId: 1, code: 'FORBIDDEN', message: 'read only', ref: 'label' });
    await expect(done).rejects.toSatisfy((e) => e instanceof SyncError && e.code === ErrorCode.FORBIDDEN && e.ref === 'label');
    expect(rejects).toEqual([1]);
  });

  it('groups a transaction into one proposal with temp ids, and resolves creates to views', async () => {
    const { transport, mirror } = await setup();
    let made: Promise<unknown> = Promise.resolve();
    const done = mirror.transact(() => {
      made = mirror.root.create(Folder, { title: 'box' }).then((v) => v.id);
      void mirror.view(1, Gauge).attrs.history.push(4);
      void mirror.view(1, Gauge).attrs.history.remove(3);
      void mirror.get(2)?.move(-1);
    });
    const sent = transport.take();
    expect(sent).toEqual([
      ['propose', { tree: 't', opId: 1, baseSeq: 10, seen: 0, ops: [[OP.create, -1, 0, 0, -1, { title: 'box' }], [OP.insert, 1, 3, -1, [4]], [OP.remove, 1, 3, 3, 1], [OP.move, 2, -1, -1]] }],
    ]);
    transport.deliver('ack', { opId: 1, seq: 14, ids: [5] });
    transport.batch(11, [[OP.create, 5, 0, 0, 3, { title: 'box' }], [OP.insert, 1, 3, 3, [4]], [OP.remove, 1, 3, 3, 1], [OP.move, 2, 5, 0]]);
    expect((await done).ids).toEqual([5]);
    expect(await made).toBe(5);
    expect(mirror.state.objects[5]?.children).toEqual([2]);
  });

  it('sends nothing when the transaction throws or one of its calls is invalid', async () => {
    const { transport, mirror } = await setup();
    const boom = mirror.transact(() => {
      void mirror.view(1, Gauge).attrs.value.add(1);
      throw new Error('boom');
    });
    await expect(boom).rejects.toThrow('boom');
    await expect(mirror.transact(() => void mirror.view(1, Gauge).attrs.history.remove(9))).rejects.toMatchObject({ code: ErrorCode.BAD_INDEX });
    expect(transport.take()).toEqual([]);
  });

  it('checks ops locally and rejects them without sending', async () => {
    const { transport, mirror } = await setup();
    const cpu = mirror.view(1, Gauge);
    await expect(mirror.propose([OP.add, 1, 0, 1])).rejects.toMatchObject({ code: ErrorCode.WRONG_KIND, ref: 'label' });
    await expect(cpu.attrs.value.set('x' as unknown as number)).rejects.toMatchObject({ code: ErrorCode.BAD_VALUE });
    await expect(cpu.attrs.history.replace(3, 0)).rejects.toMatchObject({ code: ErrorCode.BAD_INDEX });
    await expect(mirror.propose([OP.set, 1, 9, 0])).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_ATTRIBUTE });
    await expect(mirror.propose([OP.set, 42, 0, 'x'])).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_OBJECT });
    await expect(mirror.root.move(1)).rejects.toMatchObject({ code: ErrorCode.BAD_PARENT });
    expect(transport.take()).toEqual([]);
  });

  it('settles an acked proposal with OUTCOME_UNKNOWN when the server comes back with a new history before its scribes', async () => {
    const { transport, mirror } = await setup();
    const done = mirror.view(1, Gauge).attrs.value.add(1);
    transport.take();
    transport.deliver('ack', { opId: 1, seq: 11 });
    expect(await outcome(done)).toBe('pending');
    transport.drop();
    transport.connect(welcome(0));
    expect(transport.take()).toEqual([['join', { tree: 't', since: 10, epoch: 'e1' }]]);
    transport.deliver('joined', { tree: 't', ref: 1, seq: 3, epoch: 'e2', snapshot: SNAPSHOT });
    await expect(done).rejects.toMatchObject({ code: ErrorCode.OUTCOME_UNKNOWN });
    expect(mirror.seq).toBe(3);
  });

  it('after a reconnect rejoins first, resends in-flight proposals with their opIds, then the queued ones', async () => {
    const { transport, mirror } = await setup();
    const cpu = mirror.view(1, Gauge);
    const first = cpu.attrs.value.add(1);
    expect(transport.take()).toHaveLength(1);
    transport.drop();
    const second = cpu.attrs.label.set('q');
    expect(transport.take()).toEqual([]);
    transport.connect(welcome(1));
    expect(transport.take()).toEqual([
      ['join', { tree: 't', since: 10, epoch: 'e1' }],
      ['propose', { tree: 't', opId: 1, baseSeq: 10, seen: 0, ops: [[OP.add, 1, 1, 1]] }],
      ['propose', { tree: 't', opId: 2, baseSeq: 10, seen: 0, ops: [[OP.set, 1, 0, 'q']] }],
    ]);
    transport.deliver('joined', { tree: 't', ref: 7, seq: 11, epoch: 'e1' });
    transport.batch(11, [[OP.add, 1, 1, 1]]);
    transport.deliver('ack', { opId: 1, seq: 11 });
    transport.deliver('ack', { opId: 1, seq: 11 });
    transport.deliver('ack', { opId: 2, seq: 12 });
    transport.batch(12, [[OP.set, 1, 0, 'q']]);
    expect((await first).seq).toBe(11);
    expect((await second).seq).toBe(12);
  });

  it('starts opIds above the welcome lastOpId and rejects pending proposals on close', async () => {
    const transport = new FakeTransport();
    const client = new SyncClient({ transport, clientId: 'me' });
    transport.connect(welcome(41));
    const joining = client.join('t');
    transport.deliver('joined', { tree: 't', ref: 7, seq: 10, epoch: 'e1', snapshot: SNAPSHOT });
    const mirror = await joining;
    transport.take();
    const done = mirror.get(1)?.destroy();
    expect(transport.take()[0]?.[1]).toMatchObject({ opId: 42, ops: [[OP.destroy, 1]] satisfies Op[] });
    client.close();
    await expect(done).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });
});
