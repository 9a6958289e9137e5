// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { arrange, longestIncreasing } from '../../client/dom/arrange.js';
import { bindList } from '../../client/dom/index.js';
import type { AttrsOf, ObjectView } from '../../client/types.js';
import { defineType, t } from '../../shared/index.js';
import { FakeMirror, listenerCount, mutations } from './dom-helpers.js';

const Todo = defineType('Todo', { tags: t.list(t.string()), rows: t.list(t.json<{ id: number; text: string }>()) });
type TodoView = ObjectView<AttrsOf<typeof Todo>>;

function setup(values: Record<string, unknown>): { mirror: FakeMirror; id: number; todo: TodoView; ul: HTMLUListElement } {
  const mirror = new FakeMirror();
  const id = mirror.create('Todo', 0, values);
  return { mirror, id, todo: mirror.view(id, Todo), ul: document.createElement('ul') };
}

function li(text: string): HTMLLIElement {
  const el = document.createElement('li');
  el.textContent = text;
  return el;
}

const texts = (ul: Element): string[] => [...ul.children].map((c) => c.textContent);

describe('longestIncreasing()', () => {
  it('marks a longest increasing run and skips negatives', () => {
    expect(longestIncreasing([])).toEqual([]);
    expect(longestIncreasing([0, 1, 2])).toEqual([true, true, true]);
    expect(longestIncreasing([-1, 0, 1, 2])).toEqual([false, true, true, true]);
    expect(longestIncreasing([3, 0, 1, 2])).toEqual([false, true, true, true]);
    expect(longestIncreasing([1, 2, 3, 0])).toEqual([true, true, true, false]);
    const marked = longestIncreasing([5, 1, 4, 2, 3, 0]);
    expect(marked.filter(Boolean)).toHaveLength(3);
  });
});

describe('arrange()', () => {
  it('keeps unmanaged children in place and the managed run where it stood', () => {
    const ul = document.createElement('ul');
    const [head, a, b, c, tail] = ['head', 'a', 'b', 'c', 'tail'].map(li) as [HTMLLIElement, HTMLLIElement, HTMLLIElement, HTMLLIElement, HTMLLIElement];
    ul.append(head, a, b, c, tail);
    const counted = mutations(ul, () => arrange(ul, [c, a, b]));
    expect(texts(ul)).toEqual(['head', 'c', 'a', 'b', 'tail']);
    expect(counted).toEqual({ added: 1, removed: 1 });
  });
});

describe('bindList()', () => {
  it('renders every item at once, in order, after the container’s own children', () => {
    const { todo, ul } = setup({ tags: ['a', 'b', 'c'] });
    ul.append(li('header'));
    bindList(todo, 'tags', ul, { render: (tag) => li(tag) });
    expect(texts(ul)).toEqual(['header', 'a', 'b', 'c']);
  });

  it('inserts at the front with one DOM insertion and keeps the other elements', () => {
    const { mirror, id, todo, ul } = setup({ tags: ['a', 'b', 'c'] });
    let rendered = 0;
    bindList(todo, 'tags', ul, { render: (tag) => (rendered++, li(tag)) });
    const before = [...ul.children];
    const counted = mutations(ul, () => mirror.set(id, 'tags', ['z', 'a', 'b', 'c']));
    expect(texts(ul)).toEqual(['z', 'a', 'b', 'c']);
    expect(counted).toEqual({ added: 1, removed: 0 });
    expect(rendered).toBe(4);
    expect([...ul.children].slice(1)).toEqual(before);
    expect(ul.children[1]).toBe(before[0]);
  });

  it('removes from the middle with one DOM removal', () => {
    const { mirror, id, todo, ul } = setup({ tags: ['a', 'b', 'c', 'd'] });
    bindList(todo, 'tags', ul, { render: li });
    const [a, , c, d] = [...ul.children];
    const counted = mutations(ul, () => mirror.set(id, 'tags', ['a', 'c', 'd']));
    expect(counted).toEqual({ added: 0, removed: 1 });
    expect([...ul.children]).toEqual([a, c, d]);
  });

  it('moves one item with one DOM move', () => {
    const { mirror, id, todo, ul } = setup({ tags: ['a', 'b', 'c', 'd', 'e'] });
    bindList(todo, 'tags', ul, { render: li });
    const [a, b, c, d, e] = [...ul.children];
    const first = mutations(ul, () => mirror.set(id, 'tags', ['b', 'c', 'd', 'e', 'a']));
    expect([...ul.children]).toEqual([b, c, d, e, a]);
    expect(first).toEqual({ added: 1, removed: 1 });
    const second = mutations(ul, () => mirror.set(id, 'tags', ['b', 'e', 'c', 'd', 'a']));
    expect([...ul.children]).toEqual([b, e, c, d, a]);
    expect(second).toEqual({ added: 1, removed: 1 });
  });

  it('reverses with n - 1 moves and no new elements', () => {
    const { mirror, id, todo, ul } = setup({ tags: ['a', 'b', 'c', 'd'] });
    let rendered = 0;
    bindList(todo, 'tags', ul, { render: (tag) => (rendered++, li(tag)) });
    const els = [...ul.children];
    const counted = mutations(ul, () => mirror.set(id, 'tags', ['d', 'c', 'b', 'a']));
    expect([...ul.children]).toEqual(els.toReversed());
    expect(counted).toEqual({ added: 3, removed: 3 });
    expect(rendered).toBe(4);
  });

  it('replaces one item: the old element goes, a new one comes, the others stay', () => {
    const { mirror, id, todo, ul } = setup({ tags: ['a', 'b', 'c'] });
    bindList(todo, 'tags', ul, { render: li });
    const [a, b, c] = [...ul.children];
    const counted = mutations(ul, () => mirror.set(id, 'tags', ['a', 'x', 'c']));
    expect(texts(ul)).toEqual(['a', 'x', 'c']);
    expect(counted).toEqual({ added: 1, removed: 1 });
    expect(ul.children[0]).toBe(a);
    expect(ul.children[2]).toBe(c);
    expect(b?.isConnected).toBe(false);
  });

  it('keys duplicate primitives by value and occurrence', () => {
    const { mirror, id, todo, ul } = setup({ tags: ['a', 'b', 'a'] });
    bindList(todo, 'tags', ul, { render: li });
    const [a1, b, a2] = [...ul.children];
    const counted = mutations(ul, () => mirror.set(id, 'tags', ['a', 'a', 'b', 'a']));
    expect(texts(ul)).toEqual(['a', 'a', 'b', 'a']);
    // The first two 'a's keep their elements; b stays; the third 'a' is new.
    expect([...ul.children].slice(0, 3)).toEqual([a1, a2, b]);
    expect(counted.added).toBe(2);
  });

  it('matches by a key function and passes changed items to update', () => {
    const rows = [
      { id: 1, text: 'one' },
      { id: 2, text: 'two' },
    ];
    const { mirror, id, todo, ul } = setup({ rows });
    const updates: string[] = [];
    bindList(todo, 'rows', ul, {
      key: (row) => row.id,
      render: (row) => li(row.text),
      update: (el, row, index) => {
        updates.push(`${row.id}@${index}`);
        el.textContent = row.text;
      },
    });
    const [one, two] = [...ul.children];
    mirror.set(id, 'rows', [{ id: 2, text: 'TWO' }, rows[0]]);
    expect(texts(ul)).toEqual(['TWO', 'one']);
    expect([...ul.children]).toEqual([two, one]);
    expect(updates).toEqual(['2@0', '1@1']);
    updates.length = 0;
    mirror.set(id, 'rows', [{ id: 2, text: 'TWO' }, rows[0]]);
    // Same index; the new { id: 2 } object is another item, so it is updated; rows[0] is untouched.
    expect(updates).toEqual(['2@0']);
  });

  it('stops on unbind (leaving the elements) and when the object is destroyed', () => {
    const { mirror, id, todo, ul } = setup({ tags: ['a'] });
    const unbind = bindList(todo, 'tags', ul, { render: li });
    unbind();
    mirror.set(id, 'tags', ['a', 'b']);
    expect(texts(ul)).toEqual(['a']);
    bindList(todo, 'tags', document.createElement('ol'), { render: li });
    expect(listenerCount(todo, 'change')).toBe(1);
    mirror.destroy(id);
    expect(listenerCount(todo, 'change')).toBe(0);
  });

  it('handles a large shuffle with the fewest moves', () => {
    const n = 200;
    const tags = Array.from({ length: n }, (_, i) => `t${i}`);
    const { mirror, id, todo, ul } = setup({ tags });
    bindList(todo, 'tags', ul, { render: li });
    const byText = new Map([...ul.children].map((el) => [el.textContent, el]));
    // Move every tenth item to the end: 20 moves.
    const moved = tags.filter((_, i) => i % 10 === 0);
    const next = [...tags.filter((_, i) => i % 10 !== 0), ...moved];
    const counted = mutations(ul, () => mirror.set(id, 'tags', next));
    expect(texts(ul)).toEqual(next);
    expect([...ul.children].every((el) => byText.get(el.textContent) === el)).toBe(true);
    expect(counted).toEqual({ added: moved.length, removed: moved.length });
  });
});
