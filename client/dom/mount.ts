/**
 * A mounted tree: one DOM view per object whose type has a factory, kept in step with a mirror's
 * create, destroy and move events. Built by {@link ViewRegistry.mount}.
 */
import type { AttrMap, ObjectId } from '../../shared/index.js';
import type { DestroyEvent, MirrorEvents, MoveEvent, ObjectState, ObjectView, TreeState } from '../types.js';
import { arrange } from './arrange.js';
import { BindingScope, type ViewContext } from './view-context.js';

/** What a view factory returns: its element, where its children's elements go, and its own teardown. */
export interface DomView {
  /** The view's root element; the mount inserts it under the parent's view. */
  readonly el: Element;
  /** Where the views of child objects are inserted; default `el`. */
  readonly container?: Element | undefined;
  /** Called when the object is destroyed or the tree unmounted, before the context's cleanups. */
  dispose?(): void;
}

/** Builds the DOM view of one object; binders made through `ctx` are undone when it is disposed. */
export type ViewFactory<A extends AttrMap = AttrMap> = (view: ObjectView<A>, ctx: ViewContext<A>) => DomView;

/** What a mount needs of a mirror: its state, its views and its events. `Mirror` satisfies it. */
export interface MirrorSource {
  readonly state: TreeState;
  get(id: ObjectId): ObjectView | undefined;
  on<E extends keyof MirrorEvents>(event: E, fn: (...args: MirrorEvents[E]) => void): unknown;
  off<E extends keyof MirrorEvents>(event: E, fn: (...args: MirrorEvents[E]) => void): unknown;
}

/** A live mounted tree, returned by {@link ViewRegistry.mount}. */
export interface Mount {
  /** The element of an object's view, if it has one. */
  elementOf(id: ObjectId): Element | undefined;
  /** Stops following the mirror, disposes every view and removes their elements. */
  unmount(): void;
}

interface Entry {
  readonly el: Element;
  readonly container: Element;
  readonly teardown: () => void;
}

/** Where an object's element goes: the nearest ancestor with a view (`null`: the mount's root element). */
interface Host {
  readonly id: ObjectId | null;
  readonly container: Element;
}

/** Index of each id in a children array; the arrays are immutable, so the index is cached per array. */
const indexes = new WeakMap<readonly ObjectId[], Map<ObjectId, number>>();

function indexIn(children: readonly ObjectId[], id: ObjectId): number {
  // Short arrays: a scan beats building a map.
  if (children.length <= 16) return children.indexOf(id);
  let index = indexes.get(children);
  if (index === undefined) {
    index = new Map(children.map((child, i) => [child, i] as const));
    indexes.set(children, index);
  }
  return index.get(id) ?? -1;
}

/**
 * The mount behind {@link ViewRegistry.mount}. Placement rules:
 * - an object's element goes into the `container` of its nearest ancestor that has a view (the
 *   root element when none has); objects without a factory get no element, but their descendants
 *   are still shown, flattened into that ancestor's container in tree order;
 * - until an ancestor's view exists (within one batch), its descendants' elements wait detached;
 * - moves are settled once per batch, on the mirror's `batch` event, with the fewest DOM moves.
 */
export class TreeMount implements Mount {
  readonly #mirror: MirrorSource;
  readonly #root: Element;
  readonly #factories: ReadonlyMap<string, ViewFactory>;
  readonly #entries = new Map<ObjectId, Entry>();
  /** Hosts whose children's order must be settled at the end of the batch. */
  readonly #dirty = new Set<ObjectId | null>();
  /** The state of the last `batch` event: events for it arrive after the batch event itself. */
  #settled: TreeState | undefined;
  #mounted = true;

  constructor(mirror: MirrorSource, root: Element, factories: ReadonlyMap<string, ViewFactory>) {
    this.#mirror = mirror;
    this.#root = root;
    this.#factories = factories;
    try {
      // In preorder every new element belongs after all the ones built before it in its host.
      const stack: ObjectId[] = [mirror.state.root];
      for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
        this.#build(id, true);
        const children = this.#object(id)?.children ?? [];
        for (let i = children.length - 1; i >= 0; i--) {
          const child = children[i];
          if (child !== undefined) stack.push(child);
        }
      }
    } catch (error) {
      this.unmount();
      throw error;
    }
    mirror.on('create', this.#onCreate);
    mirror.on('destroy', this.#onDestroy);
    mirror.on('move', this.#onMove);
    mirror.on('batch', this.#onBatch);
  }

  elementOf(id: ObjectId): Element | undefined {
    return this.#entries.get(id)?.el;
  }

  unmount(): void {
    if (!this.#mounted) return;
    this.#mounted = false;
    this.#mirror.off('create', this.#onCreate);
    this.#mirror.off('destroy', this.#onDestroy);
    this.#mirror.off('move', this.#onMove);
    this.#mirror.off('batch', this.#onBatch);
    // Children were built after their parents: tear down in reverse.
    const entries = [...this.#entries.values()].reverse();
    this.#entries.clear();
    this.#dirty.clear();
    for (const entry of entries) {
      entry.teardown();
      entry.el.remove();
    }
  }

  readonly #onCreate = (view: ObjectView): void => {
    const entry = this.#build(view.id, false);
    // A child may have moved in before this view existed (same batch): adopt it at settle time.
    if (entry !== undefined && view.state.children.length > 0) this.#markDirty(view.id);
  };

  readonly #onDestroy = (event: DestroyEvent): void => {
    const entry = this.#entries.get(event.id);
    if (entry === undefined) return;
    this.#entries.delete(event.id);
    this.#dirty.delete(event.id);
    entry.teardown();
    entry.el.remove();
  };

  readonly #onMove = (event: MoveEvent): void => {
    const host = this.#hostOf(event.id);
    if (host === null) {
      // Its new host's view is not built yet: wait detached until it is.
      for (const el of this.#placed(event.id)) el.remove();
      return;
    }
    this.#markDirty(host.id);
  };

  readonly #onBatch = (state: TreeState): void => {
    this.#settled = state;
    this.#settle();
  };

  #object(id: ObjectId): ObjectState | undefined {
    return this.#mirror.state.objects[id];
  }

  #hasFactory(object: ObjectState): boolean {
    return this.#factories.has(object.type);
  }

  #markDirty(host: ObjectId | null): void {
    this.#dirty.add(host);
    // This state's batch event already came (a mirror that emits it first): settle now, not a batch late.
    if (this.#settled === this.#mirror.state) this.#settle();
  }

  /** Builds the view of `id` if its type has a factory, and places its element (`append`: last in its host). */
  #build(id: ObjectId, append: boolean): Entry | undefined {
    if (this.#entries.has(id)) return undefined;
    const object = this.#object(id);
    const factory = object === undefined ? undefined : this.#factories.get(object.type);
    const view = factory === undefined ? undefined : this.#mirror.get(id);
    if (factory === undefined || view === undefined) return undefined;
    const scope = new BindingScope(view);
    let built: DomView;
    try {
      built = factory(view, scope);
    } catch (error) {
      scope.dispose();
      throw error;
    }
    const entry: Entry = {
      el: built.el,
      container: built.container ?? built.el,
      teardown: () => {
        built.dispose?.();
        scope.dispose();
      },
    };
    this.#entries.set(id, entry);
    if (append) this.#hostOf(id)?.container.append(entry.el);
    else this.#place(id, entry.el);
    return entry;
  }

  /** Inserts one element next to its nearest placed neighbour in tree order. */
  #place(id: ObjectId, el: Element): void {
    const host = this.#hostOf(id);
    if (host === null) return;
    const prev = this.#neighbour(id, host, -1);
    if (prev !== null) {
      host.container.insertBefore(el, prev.nextSibling);
      return;
    }
    host.container.insertBefore(el, this.#neighbour(id, host, 1));
  }

  /** The nearest ancestor with a view, the root element if none, or null while an ancestor's view is pending. */
  #hostOf(id: ObjectId): Host | null {
    for (let p = this.#object(id)?.parent ?? null; p !== null; ) {
      const entry = this.#entries.get(p);
      if (entry !== undefined) return { id: p, container: entry.container };
      const object = this.#object(p);
      if (object === undefined || this.#hasFactory(object)) return null;
      p = object.parent;
    }
    return { id: null, container: this.#root };
  }

  /** The closest element before (`dir` -1) or after (1) `id` in tree order that stands in the host's container. */
  #neighbour(id: ObjectId, host: Host, dir: 1 | -1): Element | null {
    for (let current = id; ; ) {
      const parent = this.#object(current)?.parent ?? null;
      const siblings = parent === null ? undefined : this.#object(parent)?.children;
      if (parent === null || siblings === undefined) return null;
      for (let i = indexIn(siblings, current) + dir; i >= 0 && i < siblings.length; i += dir) {
        const sibling = siblings[i];
        const found = sibling === undefined ? null : this.#edge(sibling, host.container, dir);
        if (found !== null) return found;
      }
      if (parent === host.id) return null;
      current = parent;
    }
  }

  /** The first (`dir` 1) or last (-1) element in `id`'s subtree that stands in `container`. */
  #edge(id: ObjectId, container: Element, dir: 1 | -1): Element | null {
    // Depth-first in `dir` order with an explicit stack: views may sit under long chains of objects without one.
    const stack: ObjectId[] = [id];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const entry = this.#entries.get(next);
      if (entry !== undefined) {
        if (entry.el.parentNode === container) return entry.el;
        continue;
      }
      const object = this.#object(next);
      if (object === undefined || this.#hasFactory(object)) continue;
      const children = object.children;
      // Pushed in reverse visiting order, so the stack pops them in `dir` order.
      for (let i = dir === 1 ? children.length - 1 : 0; i >= 0 && i < children.length; i -= dir) stack.push(children[i] as ObjectId);
    }
    return null;
  }

  /** The elements that `id`'s subtree puts into its host's container, in tree order. */
  #placed(id: ObjectId, out: Element[] = []): Element[] {
    const stack: ObjectId[] = [id];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const entry = this.#entries.get(next);
      if (entry !== undefined) {
        out.push(entry.el);
        continue;
      }
      const object = this.#object(next);
      if (object === undefined || this.#hasFactory(object)) continue;
      for (let i = object.children.length - 1; i >= 0; i--) stack.push(object.children[i] as ObjectId);
    }
    return out;
  }

  /** Puts every dirty host's child elements in tree order. */
  #settle(): void {
    for (const host of this.#dirty) {
      const entry = host === null ? undefined : this.#entries.get(host);
      if (host === null) arrange(this.#root, this.#placed(this.#mirror.state.root));
      else if (entry !== undefined) {
        const els: Element[] = [];
        for (const child of this.#object(host)?.children ?? []) this.#placed(child, els);
        arrange(entry.container, els);
      }
    }
    this.#dirty.clear();
  }
}
