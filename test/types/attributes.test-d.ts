/**
 * The inferred attribute types through the public entry points: one definition gives the same value
 * types on the server and on the client; topics offer exactly the operations of their kind.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { defineType, t, type Json } from 'treesync';
import type { Ack, Mirror, ObjectView, SyncClient } from 'treesync/client';
import type { ServerObject, SyncServer } from 'treesync/server';

const Board = defineType('Board', { title: t.string('board') });
const Gauge = defineType('Gauge', {
  label: t.string(),
  mode: t.string<'on' | 'off'>('off'),
  value: t.number(0),
  live: t.boolean(true),
  meta: t.json(),
  tags: t.dict(t.number()),
  history: t.list(t.number()),
});

declare const server: SyncServer;
declare const client: SyncClient;
declare const mirror: Mirror<typeof Board.attrs>;
declare const s: ServerObject<typeof Gauge.attrs>;
declare const c: ObjectView<typeof Gauge.attrs>;

describe('attribute types', () => {
  it('reads a number attribute as number on the server and on the client alike', () => {
    const tree = server.tree('board', Board);
    const gauge = tree.root.create(Gauge, { label: 'cpu' });
    expectTypeOf(gauge).toEqualTypeOf<ServerObject<typeof Gauge.attrs>>();
    expectTypeOf(gauge.get('value')).toEqualTypeOf<number>();
    expectTypeOf(gauge.attrs.value.value).toEqualTypeOf<number>();
    expectTypeOf(tree.root.get('title')).toEqualTypeOf<string>();

    expectTypeOf(client.join('board', Board)).resolves.toEqualTypeOf<Mirror<typeof Board.attrs>>();
    expectTypeOf(mirror.root.get('title')).toEqualTypeOf<string>();
    const view = mirror.view(1, Gauge);
    expectTypeOf(view).toEqualTypeOf<ObjectView<typeof Gauge.attrs>>();
    expectTypeOf(view.get('value')).toEqualTypeOf<number>();
    expectTypeOf(view.attrs.value.value).toEqualTypeOf<number>();
  });

  it('infers every kind the same way on both sides', () => {
    expectTypeOf(s.get('label')).toEqualTypeOf<string>();
    expectTypeOf(s.get('mode')).toEqualTypeOf<'on' | 'off'>();
    expectTypeOf(s.get('live')).toEqualTypeOf<boolean>();
    expectTypeOf(s.get('meta')).toEqualTypeOf<Json>();
    expectTypeOf(s.get('tags')).toEqualTypeOf<Readonly<Record<string, number>>>();
    expectTypeOf(s.get('history')).toEqualTypeOf<readonly number[]>();
    expectTypeOf(c.state.values.value).toEqualTypeOf<number>();
    expectTypeOf(c.state.values.mode).toEqualTypeOf<'on' | 'off'>();
    expectTypeOf(c.state.values.tags).toEqualTypeOf<Readonly<Record<string, number>>>();
    expectTypeOf(c.state.values.history).toEqualTypeOf<readonly number[]>();
  });

  it('offers each kind exactly its operations: sync on the server, Promise<Ack> on the client', () => {
    expectTypeOf(s.attrs.value.add).toEqualTypeOf<(delta: number) => void>();
    expectTypeOf(c.attrs.value.add).toEqualTypeOf<(delta: number) => Promise<Ack>>();
    expectTypeOf(c.attrs.tags.put).parameters.toEqualTypeOf<[key: string, value: number]>();
    expectTypeOf(c.attrs.history.insert).parameters.toEqualTypeOf<[index: number, ...items: number[]]>();
    expectTypeOf(s.attrs.mode.set).parameter(0).toEqualTypeOf<'on' | 'off'>();
    /* eslint-disable @typescript-eslint/no-unsafe-call -- the point: these methods do not exist on these kinds */
    // @ts-expect-error add is not an operation of a string topic
    s.attrs.label.add(1);
    // @ts-expect-error put is not an operation of a list topic
    void c.attrs.history.put('k', 1);
    /* eslint-enable @typescript-eslint/no-unsafe-call */
    // @ts-expect-error a string is not a number
    void c.attrs.value.set('5');
    // @ts-expect-error no such attribute
    s.get('nope');
  });

  it('types initial values of create by the created type', () => {
    const tree = server.tree('board', Board);
    tree.root.create(Gauge, { value: 3, tags: { a: 1 } });
    // @ts-expect-error value must be a number
    tree.root.create(Gauge, { value: '3' });
    expectTypeOf(mirror.root.create(Gauge)).resolves.toEqualTypeOf<ObjectView<typeof Gauge.attrs>>();
  });
});
