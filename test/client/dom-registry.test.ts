// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { ViewRegistry, type ViewFactory } from '../../client/dom/index.js';
import { defineType, t, type ObjectId } from '../../shared/index.js';
import { FakeMirror, listenerCount, mutations } from './dom-helpers.js';

const Panel = defineType('Panel', { title: t.string('Untitled'), style: t.dict(t.string()) });
const Item = defineType('Item', { label: t.string('') });

/** A registry whose views are `<section data-id>` (Panel, children in an inner div) and `<p data-id>` (Item), logging disposals. */
function registry(log: string[] = []): ViewRegistry {
  return new ViewRegistry()
    .register(Panel, (panel, ctx) => {
      const el = document.createElement('section');
      el.dataset['id'] = String(panel.id);
      const title = el.appendChild(document.createElement('h2'));
      ctx.text('title', title);
      ctx.style('style', el);
      const body = el.appendChild(document.createElement('div'));
      return { el, container: body, dispose: () => log.push(`panel ${panel.id}`) };
    })
    .register('Item', (item, ctx) => {
      const el = document.createElement('p');
      el.dataset['id'] = String(item.id);
      ctx.text('label', el);
      ctx.own(() => log.push(`item ${item.id}`));
      return { el };
    });
}

/** The tree of views under `el`, as text: `id(children...)`. */
function shape(el: Element): string {
  const parts: string[] = [];
  for (const child of el.children) {
    const id = (child as HTMLElement).dataset['id'];
    const body = child.querySelector(':scope > div');
    if (id === undefined) continue;
    parts.push(body === null ? id : `${id}(${shape(body)})`);
  }
  return parts.join(' ');
}

describe('ViewRegistry', () => {
  it('builds nested views for the objects that exist, in tree order', () => {
    const mirror = new FakeMirror();
    const p = mirror.create('Panel', 0, { title: 'A' });
    const a = mirror.create('Item', p, { label: 'a' });
    const q = mirror.create('Panel', p, { title: 'B' });
    const b = mirror.create('Item', q, { label: 'b' });
    const c = mirror.create('Item', p, { label: 'c' });
    const root = document.createElement('main');
    const mount = registry().mount(mirror, root);
    expect(shape(root)).toBe(`${p}(${a} ${q}(${b}) ${c})`);
    expect(mount.elementOf(q)?.querySelector('h2')?.textContent).toBe('B');
    expect(mount.elementOf(0)).toBeUndefined();
  });

  it('inserts created objects at their index among their siblings', () => {
    const mirror = new FakeMirror();
    const p = mirror.create('Panel');
    const root = document.createElement('main');
    registry().mount(mirror, root);
    const a = mirror.create('Item', p, { label: 'a' });
    const c = mirror.create('Item', p, { label: 'c' });
    const b = mirror.create('Item', p, { label: 'b' }, 1);
    const first = mirror.create('Item', p, { label: 'first' }, 0);
    expect(shape(root)).toBe(`${p}(${first} ${a} ${b} ${c})`);
  });

  it('places descendants of objects without a factory under the nearest ancestor with a view', () => {
    const mirror = new FakeMirror();
    const p = mirror.create('Panel');
    const a = mirror.create('Item', p);
    const group = mirror.create('Group', p);
    const g1 = mirror.create('Item', group);
    const z = mirror.create('Item', p);
    const root = document.createElement('main');
    registry().mount(mirror, root);
    expect(shape(root)).toBe(`${p}(${a} ${g1} ${z})`);
    const g0 = mirror.create('Item', group, {}, 0);
    const g2 = mirror.create('Item', group);
    const inner = mirror.create('Group', group);
    const deep = mirror.create('Item', inner);
    expect(shape(root)).toBe(`${p}(${a} ${g0} ${g1} ${g2} ${deep} ${z})`);
    mirror.move(group, p, 0);
    expect(shape(root)).toBe(`${p}(${g0} ${g1} ${g2} ${deep} ${a} ${z})`);
    mirror.destroy(group);
    expect(shape(root)).toBe(`${p}(${a} ${z})`);
  });

  it('shows the root object when its type has a factory, and its children directly under the root element otherwise', () => {
    const mirror = new FakeMirror();
    const a = mirror.create('Item');
    const withRoot = document.createElement('main');
    registry()
      .register('Root', () => {
        const el = document.createElement('article');
        el.dataset['id'] = '0';
        const body = el.appendChild(document.createElement('div'));
        return { el, container: body };
      })
      .mount(mirror, withRoot);
    expect(shape(withRoot)).toBe(`0(${a})`);
    const withoutRoot = document.createElement('main');
    registry().mount(mirror, withoutRoot);
    expect(shape(withoutRoot)).toBe(`${a}`);
  });

  it('disposes a destroyed subtree: dispose, ctx binders and signal, elements', () => {
    const mirror = new FakeMirror();
    const p = mirror.create('Panel');
    const a = mirror.create('Item', p);
    const q = mirror.create('Panel', p);
    const b = mirror.create('Item', q);
    const keep = mirror.create('Item');
    const log: string[] = [];
    const signals: AbortSignal[] = [];
    const root = document.createElement('main');
    const mount = registry(log)
      .register('Item', (item, ctx) => {
        signals.push(ctx.signal);
        const el = document.createElement('p');
        el.dataset['id'] = String(item.id);
        ctx.text('label', el);
        ctx.own(() => log.push(`item ${item.id}`));
        return { el };
      })
      .mount(mirror, root);
    const views = [p, a, q, b].map((id) => mirror.get(id)!);
    const pEl = mount.elementOf(p);
    mirror.destroy(p);
    expect(shape(root)).toBe(`${keep}`);
    expect(pEl?.isConnected).toBe(false);
    expect(log).toEqual([`item ${a}`, `item ${b}`, `panel ${q}`, `panel ${p}`]);
    expect(signals.map((s) => s.aborted)).toEqual([true, true, false]);
    for (const view of views) expect(listenerCount(view, 'change')).toBe(0);
    expect(mount.elementOf(a)).toBeUndefined();
  });

  it('moves elements within a parent and to another parent', () => {
    const mirror = new FakeMirror();
    const p = mirror.create('Panel');
    const q = mirror.create('Panel');
    const [a, b, c] = ['a', 'b', 'c'].map((label) => mirror.create('Item', p, { label })) as [ObjectId, ObjectId, ObjectId];
    const root = document.createElement('main');
    const mount = registry().mount(mirror, root);
    const aEl = mount.elementOf(a);
    const counted = mutations(root, () => mirror.move(a, p, 2));
    expect(shape(root)).toBe(`${p}(${b} ${c} ${a}) ${q}()`);
    expect(counted).toEqual({ added: 1, removed: 1 });
    mirror.move(c, q);
    mirror.move(a, q, 0);
    expect(shape(root)).toBe(`${p}(${b}) ${q}(${a} ${c})`);
    expect(mount.elementOf(a)).toBe(aEl);
    mirror.move(q, p, 0);
    expect(shape(root)).toBe(`${p}(${q}(${a} ${c}) ${b})`);
  });

  it.each([false, true])('ends a batch of several moves and creates in the mirror’s order (batch event first: %s)', (batchFirst) => {
    const mirror = new FakeMirror();
    mirror.batchFirst = batchFirst;
    const p = mirror.create('Panel');
    const [c, b, a] = ['c', 'b', 'a'].map((label) => mirror.create('Item', p, { label })) as [ObjectId, ObjectId, ObjectId];
    const root = document.createElement('main');
    registry().mount(mirror, root);
    let x = -1;
    mirror.batch(() => {
      mirror.move(a, p, 0);
      x = mirror.create('Item', p, { label: 'x' }, 1);
      mirror.move(b, p, 1);
    });
    expect(mirror.state.objects[p]?.children).toEqual([a, b, x, c]);
    expect(shape(root)).toBe(`${p}(${a} ${b} ${x} ${c})`);
  });

  it.each([false, true])('adopts objects moved under a parent created in the same batch (batch event first: %s)', (batchFirst) => {
    const mirror = new FakeMirror();
    mirror.batchFirst = batchFirst;
    const p = mirror.create('Panel');
    const a = mirror.create('Item', p);
    const root = document.createElement('main');
    registry().mount(mirror, root);
    let q = -1;
    let b = -1;
    mirror.batch(() => {
      q = mirror.create('Panel', p);
      b = mirror.create('Item', q);
      mirror.move(a, q, 1);
    });
    expect(shape(root)).toBe(`${p}(${q}(${b} ${a}))`);
  });

  it('unmount() disposes every view, removes the elements and stops following', () => {
    const mirror = new FakeMirror();
    const p = mirror.create('Panel');
    mirror.create('Item', p);
    const log: string[] = [];
    const root = document.createElement('main');
    root.append(document.createElement('header'));
    const mount = registry(log).mount(mirror, root);
    mount.unmount();
    mount.unmount();
    expect(log).toHaveLength(2);
    expect(root.children).toHaveLength(1);
    mirror.create('Item', p);
    mirror.set(p, 'title', 'after');
    expect(root.children).toHaveLength(1);
    expect(listenerCount(mirror.get(p)!, 'change')).toBe(0);
  });

  it('keeps a view’s bindings live and leaves the factory’s own content first', () => {
    const mirror = new FakeMirror();
    const p = mirror.create('Panel', 0, { title: 'one', style: { color: 'red' } });
    const root = document.createElement('main');
    const mount = registry().mount(mirror, root);
    const a = mirror.create('Item', p, { label: 'hello' });
    mirror.batch(() => {
      mirror.set(p, 'title', 'two');
      mirror.set(p, 'style', {});
      mirror.set(a, 'label', 'bye');
    });
    const el = mount.elementOf(p) as HTMLElement;
    expect(el.querySelector('h2')?.textContent).toBe('two');
    expect(el.style.color).toBe('');
    expect(el.querySelector('p')?.textContent).toBe('bye');
    expect(el.firstElementChild?.tagName).toBe('H2');
  });

  it('takes factories by name in its constructor and snapshots them at mount', () => {
    const mirror = new FakeMirror();
    mirror.create('Note');
    const note: ViewFactory = () => ({ el: document.createElement('aside') });
    const views = new ViewRegistry({ Note: note });
    expect(views.has('Note')).toBe(true);
    expect(views.has(Panel)).toBe(false);
    const root = document.createElement('main');
    views.mount(mirror, root);
    views.register(Item, () => ({ el: document.createElement('p') }));
    mirror.create('Item');
    expect([...root.children].map((c) => c.tagName)).toEqual(['ASIDE']);
  });
});
