import { describe, expectTypeOf, it } from 'vitest';
import { defineType, t, type AttrSpec, type AttrsOfKind, type Json, type TypeDef, type ValueOf, type Values } from 'treesync';

const Panel = defineType('Panel', {
  title: t.string(),
  count: t.number(),
  on: t.boolean(),
  meta: t.json(),
  tags: t.dict(t.number()),
  names: t.list(t.string()),
});
type PanelAttrs = typeof Panel.attrs;

describe('defineType()', () => {
  it('keeps the literal type name', () => {
    expectTypeOf(Panel.name).toEqualTypeOf<'Panel'>();
    expectTypeOf(Panel).toExtend<TypeDef<'Panel', PanelAttrs>>();
  });

  it('rejects attribute declarations that are not specs', () => {
    // @ts-expect-error a number is not an AttrSpec
    defineType('Bad', { a: 1 });
  });
});

describe('Values<A>', () => {
  it('types every kind', () => {
    expectTypeOf<Values<PanelAttrs>>().toEqualTypeOf<{
      readonly title: string;
      readonly count: number;
      readonly on: boolean;
      readonly meta: Json;
      readonly tags: Readonly<Record<string, number>>;
      readonly names: readonly string[];
    }>();
  });

  it('is read-only', () => {
    const values = {} as Values<PanelAttrs>;
    // @ts-expect-error values are read-only
    values.count = 1;
    // @ts-expect-error list values are read-only arrays
    values.names[0] = 'x';
  });

  // A default is a starting value, not the attribute's only allowed value.
  it('widens a string default to string', () => {
    const Gauge = defineType('Gauge', { label: t.string('cpu'), names: t.list(t.string('x')) });
    expectTypeOf<Values<typeof Gauge.attrs>['label']>().toEqualTypeOf<string>();
    expectTypeOf<Values<typeof Gauge.attrs>['names']>().toEqualTypeOf<readonly string[]>();
  });

  it('widens a scalar json default to Json', () => {
    const T = defineType('T', { meta: t.json(0) });
    expectTypeOf<Values<typeof T.attrs>['meta']>().toEqualTypeOf<Json>();
  });

  it('keeps an explicit string union', () => {
    const Light = defineType('Light', { color: t.string<'red' | 'green'>('red') });
    expectTypeOf<Values<typeof Light.attrs>['color']>().toEqualTypeOf<'red' | 'green'>();
  });

  it('uses the json generic', () => {
    const T = defineType('T', { point: t.json<{ x: number; y: number }>({ x: 0, y: 0 }) });
    expectTypeOf<Values<typeof T.attrs>['point']>().toEqualTypeOf<{ x: number; y: number }>();
  });

  it('nests containers', () => {
    const T = defineType('T', { rows: t.list(t.dict(t.boolean())), groups: t.dict(t.list(t.number())) });
    expectTypeOf<Values<typeof T.attrs>>().toEqualTypeOf<{
      readonly rows: readonly Readonly<Record<string, boolean>>[];
      readonly groups: Readonly<Record<string, readonly number[]>>;
    }>();
  });
});

describe('ValueOf<S>', () => {
  it('gives the value type of each builder', () => {
    expectTypeOf<ValueOf<ReturnType<typeof t.number>>>().toEqualTypeOf<number>();
    expectTypeOf<ValueOf<ReturnType<typeof t.boolean>>>().toEqualTypeOf<boolean>();
    expectTypeOf<ValueOf<AttrSpec<'json', Json>>>().toEqualTypeOf<Json>();
    expectTypeOf<ValueOf<typeof Panel.attrs.tags>>().toEqualTypeOf<Readonly<Record<string, number>>>();
    expectTypeOf<ValueOf<typeof Panel.attrs.names>>().toEqualTypeOf<readonly string[]>();
  });

  it('is never for a non-spec', () => {
    expectTypeOf<ValueOf<number>>().toBeNever();
  });
});

describe('t', () => {
  it('checks defaults against the element kind', () => {
    // @ts-expect-error a list of numbers cannot default to strings
    t.list(t.number(), ['a']);
    // @ts-expect-error a dict of booleans cannot hold numbers
    t.dict(t.boolean(), { a: 1 });
    // @ts-expect-error a number default must be a number
    t.number('1');
  });

  it('needs an element kind for containers', () => {
    // @ts-expect-error the element kind is required
    t.list();
  });
});

describe('AttrsOfKind<A, K>', () => {
  it('picks the names of each kind', () => {
    expectTypeOf<AttrsOfKind<PanelAttrs, 'string'>>().toEqualTypeOf<'title'>();
    expectTypeOf<AttrsOfKind<PanelAttrs, 'number'>>().toEqualTypeOf<'count'>();
    expectTypeOf<AttrsOfKind<PanelAttrs, 'boolean'>>().toEqualTypeOf<'on'>();
    expectTypeOf<AttrsOfKind<PanelAttrs, 'json'>>().toEqualTypeOf<'meta'>();
    expectTypeOf<AttrsOfKind<PanelAttrs, 'dict'>>().toEqualTypeOf<'tags'>();
    expectTypeOf<AttrsOfKind<PanelAttrs, 'list'>>().toEqualTypeOf<'names'>();
  });

  it('collects several names of one kind', () => {
    const T = defineType('T', { a: t.number(), b: t.string(), c: t.number(1) });
    expectTypeOf<AttrsOfKind<typeof T.attrs, 'number'>>().toEqualTypeOf<'a' | 'c'>();
  });

  it('is never when no attribute has the kind', () => {
    const T = defineType('T', { a: t.number() });
    expectTypeOf<AttrsOfKind<typeof T.attrs, 'list'>>().toBeNever();
  });
});
