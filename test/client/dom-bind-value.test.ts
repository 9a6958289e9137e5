// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { bindAttribute, bindProperty, bindText, watch } from '../../client/dom/index.js';
import type { AttrsOf, ObjectView } from '../../client/types.js';
import { defineType, t } from '../../shared/index.js';
import { FakeMirror, listenerCount } from './dom-helpers.js';

const Gauge = defineType('Gauge', { label: t.string('cpu'), value: t.number(0), on: t.boolean(false) });

function setup(): { mirror: FakeMirror; id: number; gauge: ObjectView<AttrsOf<typeof Gauge>> } {
  const mirror = new FakeMirror();
  const id = mirror.create('Gauge', 0, { label: 'cpu', value: 1.5, on: false });
  return { mirror, id, gauge: mirror.view(id, Gauge) };
}

describe('watch()', () => {
  it('applies at once, on changes of its attribute only, and stops on unbind', () => {
    const { mirror, id, gauge } = setup();
    const seen: number[] = [];
    const unbind = watch(gauge, 'value', (v) => seen.push(v));
    mirror.set(id, 'label', 'mem');
    mirror.set(id, 'value', 2);
    unbind();
    unbind();
    mirror.set(id, 'value', 3);
    expect(seen).toEqual([1.5, 2]);
  });

  it('does nothing on a view that is no longer alive', () => {
    const { mirror, id, gauge } = setup();
    mirror.destroy(id);
    const seen: unknown[] = [];
    watch(gauge, 'value', (v) => seen.push(v))();
    expect(seen).toEqual([]);
  });
});

describe('bindText()', () => {
  it('sets the text at once and on change, through format', () => {
    const { mirror, id, gauge } = setup();
    const span = document.createElement('span');
    const unbindLabel = bindText(gauge, 'label', span);
    expect(span.textContent).toBe('cpu');
    mirror.set(id, 'label', 'mem');
    expect(span.textContent).toBe('mem');
    unbindLabel();
    const unbindValue = bindText(gauge, 'value', span, (v) => `${v.toFixed(2)}%`);
    expect(span.textContent).toBe('1.50%');
    mirror.set(id, 'value', 7);
    expect(span.textContent).toBe('7.00%');
    unbindValue();
    mirror.set(id, 'value', 8);
    expect(span.textContent).toBe('7.00%');
  });

  it('binds a Text node and stringifies booleans', () => {
    const { mirror, id, gauge } = setup();
    const text = document.createTextNode('');
    bindText(gauge, 'on', text);
    expect(text.data).toBe('false');
    mirror.set(id, 'on', true);
    expect(text.data).toBe('true');
  });

  it('unbinds itself when the object is destroyed', () => {
    const { mirror, id, gauge } = setup();
    const span = document.createElement('span');
    bindText(gauge, 'label', span);
    expect(gauge.state).toBeDefined();
    mirror.destroy(id);
    const view = mirror.get(id);
    expect(view).toBeUndefined();
    // No listener is left on the view.
    expect(listenerCount(gauge, 'change')).toBe(0);
    expect(listenerCount(gauge, 'destroy')).toBe(0);
  });
});

describe('bindProperty()', () => {
  it('sets a property at once and on change, as is or through format', () => {
    const { mirror, id, gauge } = setup();
    const box = document.createElement('input');
    box.type = 'checkbox';
    const input = document.createElement('input');
    const unbindOn = bindProperty(gauge, 'on', box, 'checked');
    const unbindValue = bindProperty(gauge, 'value', input, 'value', String);
    expect([box.checked, input.value]).toEqual([false, '1.5']);
    mirror.batch(() => {
      mirror.set(id, 'on', true);
      mirror.set(id, 'value', 42);
    });
    expect([box.checked, input.value]).toEqual([true, '42']);
    unbindOn();
    unbindValue();
    mirror.set(id, 'on', false);
    expect(box.checked).toBe(true);
  });

  it('does not write a value the property already has', () => {
    const { mirror, id, gauge } = setup();
    let writes = 0;
    const target = {
      get label(): string {
        return 'mem';
      },
      set label(_: string) {
        writes++;
      },
    };
    bindProperty(gauge, 'label', target, 'label');
    expect(writes).toBe(1);
    mirror.set(id, 'label', 'mem');
    expect(writes).toBe(1);
  });

  it('unbinds itself when the object is destroyed', () => {
    const { mirror, id, gauge } = setup();
    const target = { n: 0 };
    bindProperty(gauge, 'value', target, 'n');
    mirror.set(id, 'value', 3);
    mirror.destroy(id);
    expect(target.n).toBe(3);
    expect(listenerCount(gauge, 'change')).toBe(0);
  });
});

describe('bindAttribute()', () => {
  it('sets an attribute at once and on change; false removes it, true sets it empty', () => {
    const { mirror, id, gauge } = setup();
    const el = document.createElement('div');
    bindAttribute(gauge, 'label', el, 'title');
    bindAttribute(gauge, 'on', el, 'hidden');
    bindAttribute(gauge, 'value', el, 'data-level', (v) => (v > 5 ? 'high' : null));
    expect(el.getAttribute('title')).toBe('cpu');
    expect(el.hasAttribute('hidden')).toBe(false);
    expect(el.hasAttribute('data-level')).toBe(false);
    mirror.batch(() => {
      mirror.set(id, 'label', 'mem');
      mirror.set(id, 'on', true);
      mirror.set(id, 'value', 9);
    });
    expect(el.getAttribute('title')).toBe('mem');
    expect(el.getAttribute('hidden')).toBe('');
    expect(el.getAttribute('data-level')).toBe('high');
    mirror.set(id, 'on', false);
    expect(el.hasAttribute('hidden')).toBe(false);
  });

  it('stops on unbind and when the object is destroyed', () => {
    const { mirror, id, gauge } = setup();
    const a = document.createElement('div');
    const b = document.createElement('div');
    const unbind = bindAttribute(gauge, 'label', a, 'title');
    bindAttribute(gauge, 'label', b, 'title');
    unbind();
    mirror.set(id, 'label', 'disk');
    expect([a.title, b.title]).toEqual(['cpu', 'disk']);
    mirror.destroy(id);
    expect(listenerCount(gauge, 'change')).toBe(0);
  });
});
