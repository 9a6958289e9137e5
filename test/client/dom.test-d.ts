import type { EventEmitter } from 'eventemitter3';
import { describe, expectTypeOf, it } from 'vitest';
import {
  bindAttribute,
  bindList,
  bindProperty,
  bindStyle,
  bindText,
  ViewRegistry,
  type MirrorSource,
  type ViewContext,
} from '../../client/dom/index.js';
import type { AttrsOf, MirrorEvents, ObjectView, TreeState } from '../../client/types.js';
import { defineType, t, type ObjectId } from '../../shared/index.js';

const Gauge = defineType('Gauge', {
  label: t.string(),
  value: t.number(),
  on: t.boolean(),
  style: t.dict(t.string()),
  rows: t.list(t.json<{ id: number }>()),
  meta: t.json(),
});
declare const gauge: ObjectView<AttrsOf<typeof Gauge>>;
declare const untyped: ObjectView;
declare const span: HTMLSpanElement;
declare const input: HTMLInputElement;

describe('binders', () => {
  it('accept only attributes of the right kind', () => {
    bindText(gauge, 'label', span);
    bindText(gauge, 'value', span, (v) => {
      expectTypeOf(v).toEqualTypeOf<number>();
      return v.toFixed(1);
    });
    // @ts-expect-error a dict is not text
    bindText(gauge, 'style', span);
    // @ts-expect-error json is not a scalar
    bindAttribute(gauge, 'meta', span, 'title');
    // @ts-expect-error no such attribute
    bindText(gauge, 'nope', span);
    bindStyle(gauge, 'style', span);
    // @ts-expect-error a string is not a dict
    bindStyle(gauge, 'label', span);
  });

  it('check that a property accepts the value, unless formatted', () => {
    bindProperty(gauge, 'on', input, 'checked');
    bindProperty(gauge, 'value', input, 'valueAsNumber');
    // @ts-expect-error a number is not a string
    bindProperty(gauge, 'value', input, 'value');
    bindProperty(gauge, 'value', input, 'value', String);
    // @ts-expect-error format must return the property's type
    bindProperty(gauge, 'value', input, 'value', (v) => v);
  });

  it('type list items', () => {
    bindList(gauge, 'rows', span, {
      key: (row) => row.id,
      render: (row, index) => {
        expectTypeOf(row).toEqualTypeOf<{ id: number }>();
        expectTypeOf(index).toEqualTypeOf<number>();
        return document.createElement('li');
      },
      update: (el) => expectTypeOf(el).toEqualTypeOf<HTMLLIElement>(),
    });
    // @ts-expect-error a dict is not a list
    bindList(gauge, 'style', span, { render: () => span });
  });

  it('take any name on an untyped view, with unknown values', () => {
    bindText(untyped, 'anything', span);
    bindText(untyped, 'anything', span, (v) => {
      expectTypeOf(v).toEqualTypeOf<unknown>();
      return String(v);
    });
  });
});

describe('ViewRegistry', () => {
  it('types the view and context of a factory registered by definition', () => {
    new ViewRegistry().register(Gauge, (view, ctx) => {
      expectTypeOf(view).toEqualTypeOf<ObjectView<AttrsOf<typeof Gauge>>>();
      expectTypeOf(ctx).toEqualTypeOf<ViewContext<AttrsOf<typeof Gauge>>>();
      ctx.text('label', span);
      ctx.property('on', input, 'checked');
      // @ts-expect-error a dict is not text
      ctx.text('style', span);
      ctx.list('rows', span, { render: (row) => (expectTypeOf(row).toEqualTypeOf<{ id: number }>(), span) });
      return { el: span };
    });
  });

  it('mounts any eventemitter3 mirror with state and get', () => {
    type Emitter = EventEmitter<MirrorEvents> & { readonly state: TreeState; get(id: ObjectId): ObjectView | undefined };
    expectTypeOf<Emitter>().toExtend<MirrorSource>();
  });
});
