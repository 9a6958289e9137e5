/**
 * The list binder: one element per item of a list attribute, reconciled by key so that a change
 * costs as many DOM operations as it moves items, not as many as the list is long.
 */
import type { AttrMap } from '../../shared/index.js';
import type { ObjectView } from '../types.js';
import { arrange } from './arrange.js';
import { watch, type ListAttr, type ListItem, type Unbind } from './binding.js';

/** How {@link bindList} turns items into elements. */
export interface ListRenderer<T, E extends Element = Element> {
  /**
   * An item's identity across changes. Default: the item itself, so primitives match by value and
   * objects by reference (the mirror keeps untouched items' references). Equal keys are told apart
   * by occurrence: the second `'a'` matches the old second `'a'`.
   */
  key?: ((item: T, index: number) => unknown) | undefined;
  /** Builds the element of an item that has none yet. */
  render: (item: T, index: number) => E;
  /** Refreshes a kept element whose item or index changed (without it, kept elements are left as they are). */
  update?: ((el: E, item: T, index: number) => void) | undefined;
}

interface Row<T, E> {
  readonly key: unknown;
  readonly el: E;
  item: T;
  index: number;
}

/** Old rows by key, each key's rows in order, consumed front to back by occurrence. */
class RowPool<T, E> {
  readonly #rows = new Map<unknown, { rows: Row<T, E>[]; next: number }>();

  constructor(rows: readonly Row<T, E>[]) {
    for (const row of rows) {
      const bucket = this.#rows.get(row.key);
      if (bucket === undefined) this.#rows.set(row.key, { rows: [row], next: 0 });
      else bucket.rows.push(row);
    }
  }

  take(key: unknown): Row<T, E> | undefined {
    const bucket = this.#rows.get(key);
    if (bucket === undefined) return undefined;
    return bucket.rows[bucket.next++];
  }

  *rest(): Generator<Row<T, E>> {
    for (const bucket of this.#rows.values()) {
      for (let i = bucket.next; i < bucket.rows.length; i++) {
        const row = bucket.rows[i];
        if (row !== undefined) yield row;
      }
    }
  }
}

/**
 * Keeps one element per item of a list attribute in `container`, in order. Items are matched to
 * existing elements by key: kept elements are reused (and passed to `update`), only elements out
 * of order are moved (a longest increasing run stays), new items are rendered and removed items'
 * elements removed. Inserting one item at the front is one DOM insertion. Other children of
 * `container` are left alone; the items' elements stay after them. Unbinding leaves the elements.
 * @example
 * bindList(todo, 'items', ul, {
 *   key: (item) => item.id,
 *   render: (item) => Object.assign(document.createElement('li'), { textContent: item.text }),
 *   update: (li, item) => { li.textContent = item.text; },
 * });
 */
export function bindList<A extends AttrMap, N extends ListAttr<A>, E extends Element>(
  view: ObjectView<A>,
  attr: N,
  container: Element,
  renderer: ListRenderer<ListItem<A, N>, E>,
): Unbind {
  type T = ListItem<A, N>;
  const { key: keyOf = (item: T): unknown => item, render, update } = renderer;
  let rows: Row<T, E>[] = [];
  return watch(view, attr, (value) => {
    const items: readonly T[] = Array.isArray(value) ? (value as readonly T[]) : [];
    const pool = new RowPool(rows);
    const next: Row<T, E>[] = new Array<Row<T, E>>(items.length);
    for (let index = 0; index < items.length; index++) {
      const item = items[index] as T;
      const key = keyOf(item, index);
      const row = pool.take(key);
      if (row === undefined) {
        next[index] = { key, el: render(item, index), item, index };
        continue;
      }
      if (update !== undefined && (row.item !== item || row.index !== index)) update(row.el, item, index);
      row.item = item;
      row.index = index;
      next[index] = row;
    }
    for (const gone of pool.rest()) gone.el.remove();
    rows = next;
    arrange(container, next.map((row) => row.el));
  });
}
