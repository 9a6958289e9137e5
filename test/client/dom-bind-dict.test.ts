// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { bindAttributes, bindDataset, bindStyle } from '../../client/dom/index.js';
import type { AttrsOf, ObjectView } from '../../client/types.js';
import { defineType, t } from '../../shared/index.js';
import { FakeMirror, listenerCount } from './dom-helpers.js';

const Box = defineType('Box', { style: t.dict(t.string()), meta: t.dict(t.json()), attrs: t.dict(t.json()) });

function setup(values: Record<string, unknown>): { mirror: FakeMirror; id: number; box: ObjectView<AttrsOf<typeof Box>> } {
  const mirror = new FakeMirror();
  const id = mirror.create('Box', 0, values);
  return { mirror, id, box: mirror.view(id, Box) };
}

describe('bindStyle()', () => {
  it('applies hyphenated, camelCase and custom-property keys at once and on change', () => {
    const { mirror, id, box } = setup({ style: { 'font-size': '30px', backgroundColor: 'yellow', '--accent': 'red' } });
    const el = document.createElement('div');
    bindStyle(box, 'style', el);
    expect(el.style.fontSize).toBe('30px');
    expect(el.style.getPropertyValue('background-color')).toBe('yellow');
    expect(el.style.getPropertyValue('--accent')).toBe('red');
    mirror.set(id, 'style', { 'font-size': '12px', backgroundColor: 'yellow', '--accent': 'red', border: '1px solid black' });
    expect(el.style.fontSize).toBe('12px');
    expect(el.style.border).toBe('1px solid black');
  });

  it('removes deleted keys and leaves styles it never set alone', () => {
    const { mirror, id, box } = setup({ style: { 'font-size': '30px', color: 'blue' } });
    const el = document.createElement('div');
    el.style.margin = '4px';
    bindStyle(box, 'style', el);
    mirror.set(id, 'style', { color: 'blue' });
    expect(el.style.fontSize).toBe('');
    expect(el.style.color).toBe('blue');
    mirror.set(id, 'style', {});
    expect(el.style.color).toBe('');
    expect(el.style.margin).toBe('4px');
  });

  it('writes only the keys that changed', () => {
    const { mirror, id, box } = setup({ style: { color: 'blue', width: '1px' } });
    const written: string[] = [];
    const style = new Proxy(document.createElement('div').style, {
      set(target, key, value: unknown): boolean {
        written.push(String(key));
        return Reflect.set(target, key, value);
      },
    });
    bindStyle(box, 'style', { style });
    written.length = 0;
    mirror.set(id, 'style', { color: 'blue', width: '2px' });
    expect(written).toEqual(['width']);
  });

  it('stops on unbind and when the object is destroyed', () => {
    const { mirror, id, box } = setup({ style: { color: 'blue' } });
    const el = document.createElement('div');
    const unbind = bindStyle(box, 'style', el);
    unbind();
    mirror.set(id, 'style', { color: 'red' });
    expect(el.style.color).toBe('blue');
    bindStyle(box, 'style', el);
    mirror.destroy(id);
    expect(listenerCount(box, 'change')).toBe(0);
  });
});

describe('bindDataset()', () => {
  it('sets data-* at once and on change, camelCase or hyphenated, and removes deleted keys', () => {
    const { mirror, id, box } = setup({ meta: { userId: '7', 'row-kind': 'header', n: 3 } });
    const el = document.createElement('tr');
    bindDataset(box, 'meta', el);
    expect(el.getAttribute('data-user-id')).toBe('7');
    expect(el.dataset['rowKind']).toBe('header');
    expect(el.dataset['n']).toBe('3');
    mirror.set(id, 'meta', { userId: '8', n: 3 });
    expect(el.getAttribute('data-user-id')).toBe('8');
    expect(el.hasAttribute('data-row-kind')).toBe(false);
    expect(el.dataset['n']).toBe('3');
  });

  it('stops on unbind and when the object is destroyed', () => {
    const { mirror, id, box } = setup({ meta: { a: '1' } });
    const el = document.createElement('div');
    bindDataset(box, 'meta', el)();
    mirror.set(id, 'meta', { a: '2' });
    expect(el.dataset['a']).toBe('1');
    bindDataset(box, 'meta', el);
    mirror.destroy(id);
    expect(listenerCount(box, 'change')).toBe(0);
  });
});

describe('bindAttributes()', () => {
  it('sets attributes at once and on change; true is empty, false and deleted keys remove', () => {
    const { mirror, id, box } = setup({ attrs: { placeholder: 'Name', required: true, maxlength: 20 } });
    const el = document.createElement('input');
    el.setAttribute('type', 'text');
    bindAttributes(box, 'attrs', el);
    expect(el.getAttribute('placeholder')).toBe('Name');
    expect(el.getAttribute('required')).toBe('');
    expect(el.getAttribute('maxlength')).toBe('20');
    mirror.set(id, 'attrs', { placeholder: 'Name', required: false });
    expect(el.hasAttribute('required')).toBe(false);
    expect(el.hasAttribute('maxlength')).toBe(false);
    expect(el.getAttribute('placeholder')).toBe('Name');
    expect(el.getAttribute('type')).toBe('text');
  });

  it('touches only the attributes that changed', () => {
    const { mirror, id, box } = setup({ attrs: { a: '1', b: '2' } });
    const el = document.createElement('div');
    bindAttributes(box, 'attrs', el);
    const observer = new MutationObserver(() => undefined);
    observer.observe(el, { attributes: true });
    mirror.set(id, 'attrs', { a: '1', b: '3', c: '4' });
    const names = observer.takeRecords().map((r) => r.attributeName);
    observer.disconnect();
    expect(names.sort()).toEqual(['b', 'c']);
  });

  it('stops on unbind and when the object is destroyed', () => {
    const { mirror, id, box } = setup({ attrs: { a: '1' } });
    const el = document.createElement('div');
    bindAttributes(box, 'attrs', el)();
    mirror.set(id, 'attrs', {});
    expect(el.getAttribute('a')).toBe('1');
    bindAttributes(box, 'attrs', el);
    mirror.destroy(id);
    expect(listenerCount(box, 'change')).toBe(0);
  });
});
