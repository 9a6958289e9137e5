/**
 * The types of attribute rules: each builder takes the rules of its kind, `oneOf` narrows a string's
 * value type on both sides, and validators are given the attribute's value type.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { defineType, t, type AttrSpec, type Json, type StringRules, type Validator } from 'treesync';
import type { Ack, ObjectView } from 'treesync/client';
import type { ServerObject } from 'treesync/server';

const Task = defineType('Task', {
  title: t.string('', { maxLength: 80 }),
  status: t.string('todo', { oneOf: ['todo', 'doing', 'done'] as const }),
  priority: t.string('low', { oneOf: ['low', 'high'] }),
  mode: t.string<'on' | 'off'>('off'),
  both: t.string<'on' | 'off'>('off', { oneOf: ['on', 'off'] }),
  score: t.number(0, { min: 0, max: 10, integer: true }),
  flag: t.boolean(false, { validate: (b) => b || 'must be set' }),
  meta: t.json(null, { maxBytes: 1024 }),
  counts: t.dict(t.number(0, { min: 0 }), {}, { maxKeys: 10, keyPattern: /^[a-z]+$/ }),
  tags: t.list(t.string('', { maxLength: 20 }), [], { maxItems: 5 }),
  labels: t.list(t.string('a', { oneOf: ['a', 'b'] })),
});

declare const s: ServerObject<typeof Task.attrs>;
declare const c: ObjectView<typeof Task.attrs>;

describe('rules in the type DSL', () => {
  it('keeps value types: rules other than oneOf narrow nothing', () => {
    expectTypeOf(Task.attrs.title).toEqualTypeOf<AttrSpec<'string', string>>();
    expectTypeOf(Task.attrs.score).toEqualTypeOf<AttrSpec<'number', number>>();
    expectTypeOf(Task.attrs.flag).toEqualTypeOf<AttrSpec<'boolean', boolean>>();
    expectTypeOf(Task.attrs.meta).toEqualTypeOf<AttrSpec<'json', Json>>();
    expectTypeOf(Task.attrs.counts).toEqualTypeOf<AttrSpec<'dict', Readonly<Record<string, number>>>>();
    expectTypeOf(Task.attrs.tags).toEqualTypeOf<AttrSpec<'list', readonly string[]>>();
  });

  it('narrows a string by oneOf, with or without as const, and keeps the type-argument form', () => {
    expectTypeOf(Task.attrs.status).toEqualTypeOf<AttrSpec<'string', 'todo' | 'doing' | 'done'>>();
    expectTypeOf(Task.attrs.priority).toEqualTypeOf<AttrSpec<'string', 'low' | 'high'>>();
    expectTypeOf(Task.attrs.mode).toEqualTypeOf<AttrSpec<'string', 'on' | 'off'>>();
    expectTypeOf(Task.attrs.both).toEqualTypeOf<AttrSpec<'string', 'on' | 'off'>>();
    expectTypeOf(Task.attrs.labels).toEqualTypeOf<AttrSpec<'list', readonly ('a' | 'b')[]>>();
  });

  it('gives the narrowed type to the server and the client', () => {
    expectTypeOf(s.get('status')).toEqualTypeOf<'todo' | 'doing' | 'done'>();
    expectTypeOf(s.attrs.status.set).parameter(0).toEqualTypeOf<'todo' | 'doing' | 'done'>();
    expectTypeOf(c.attrs.status.set).toEqualTypeOf<(value: 'todo' | 'doing' | 'done') => Promise<Ack>>();
    expectTypeOf(c.attrs.labels.push).parameters.toEqualTypeOf<('a' | 'b')[]>();
    // @ts-expect-error not one of the values
    s.attrs.status.set('later');
    // @ts-expect-error not one of the values
    void c.attrs.labels.push('c');
  });

  it('refuses a default outside oneOf', () => {
    // @ts-expect-error 'c' is not one of the values
    t.string('c', { oneOf: ['a', 'b'] as const });
    // @ts-expect-error '' is not one of the values
    t.string('', { oneOf: ['a', 'b'] });
    // @ts-expect-error not one of the type argument's values
    t.string<'on' | 'off'>('off', { oneOf: ['on', 'maybe'] });
  });

  it('types validators by the attribute value', () => {
    t.string('todo', { oneOf: ['todo', 'done'], validate: (v) => (expectTypeOf(v).toEqualTypeOf<'todo' | 'done'>(), true) });
    t.string('', { validate: (v) => (expectTypeOf(v).toEqualTypeOf<string>(), true) });
    t.number(0, { validate: (v) => (expectTypeOf(v).toEqualTypeOf<number>(), true) });
    t.json<{ a: number }>({ a: 1 }, { validate: (v) => (expectTypeOf(v).toEqualTypeOf<{ a: number }>(), true) });
    t.dict(t.number(), {}, { validate: (v) => (expectTypeOf(v).toEqualTypeOf<Readonly<Record<string, number>>>(), true) });
    t.list(t.string(), [], { validate: (v) => (expectTypeOf(v).toEqualTypeOf<readonly string[]>(), true) });
    expectTypeOf<Validator<number>>().toEqualTypeOf<(value: number) => true | string>();
    expectTypeOf<StringRules<'a'>['oneOf']>().toEqualTypeOf<readonly 'a'[] | undefined>();
  });

  it('makes a validator give a reason: true or a string, not a bare boolean', () => {
    t.string('', { validate: (v) => v.length < 5 || 'too long' });
    // @ts-expect-error false is not a reason
    t.string('', { validate: (v) => v.length < 5 });
  });

  it('takes only the rules of the kind', () => {
    // @ts-expect-error maxLength is a string rule
    t.number(0, { maxLength: 3 });
    // @ts-expect-error min is a number rule
    t.string('', { min: 1 });
    // @ts-expect-error maxItems is a list rule
    t.dict(t.number(), {}, { maxItems: 3 });
    // @ts-expect-error a pattern is a RegExp
    t.string('', { pattern: '^a$' });
    // @ts-expect-error oneOf holds strings
    t.string('', { oneOf: [1, 2] });
    // @ts-expect-error booleans take only validate
    t.boolean(false, { oneOf: [true] });
  });
});

describe('the README example', () => {
  it('compiles, and narrows status', () => {
    const Task2 = defineType('Task', {
      title: t.string('untitled', { minLength: 1, maxLength: 80 }),
      status: t.string('todo', { oneOf: ['todo', 'doing', 'done'] }),
      estimate: t.number(1, { min: 0, max: 100, integer: true }),
      meta: t.json(null, { maxBytes: 4096 }),
      scores: t.dict(t.number(0, { min: 0 }), {}, { maxKeys: 50, keyPattern: /^[a-z]+$/ }),
      tags: t.list(t.string('', { maxLength: 20, pattern: /^[a-z-]+$/ }), [], {
        maxItems: 10,
        validate: (tags) => new Set(tags).size === tags.length || 'no duplicate tags',
      }),
    });
    expectTypeOf(Task2.attrs.status).toEqualTypeOf<AttrSpec<'string', 'todo' | 'doing' | 'done'>>();
  });
});
