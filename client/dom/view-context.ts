/**
 * What a view factory gets besides its object: the binders, already aimed at the object and
 * collected, so that everything a view set up is undone when it is disposed.
 */
import type { AttrMap } from '../../shared/index.js';
import type { ObjectView } from '../types.js';
import { bindAttributes, bindDataset, bindStyle, type Styled } from './bind-dict.js';
import { bindList, type ListRenderer } from './bind-list.js';
import { bindAttribute, bindPropertyWith, bindText, type PropsAccepting } from './bind-value.js';
import type { AttrValue, DictAttr, ListAttr, ListItem, ScalarAttr, Unbind } from './binding.js';

/**
 * A view factory's toolbox: the binders of this module bound to `view`, plus `own` for any other
 * cleanup and `signal` for DOM listeners. All of it is undone when the view is disposed.
 */
export interface ViewContext<A extends AttrMap = AttrMap> {
  /** The object this view shows. */
  readonly view: ObjectView<A>;
  /** Aborted when the view is disposed: pass it to `addEventListener(type, fn, { signal })`. */
  readonly signal: AbortSignal;
  /** Runs `cleanup` when the view is disposed (at once if it already is); returns it. */
  own(cleanup: Unbind): Unbind;
  /** {@link bindText} on this view, undone with it. */
  text<N extends ScalarAttr<A>>(attr: N, node: Node, format?: (value: AttrValue<A, N>) => string): Unbind;
  /** {@link bindProperty} on this view, undone with it. */
  property<N extends ScalarAttr<A>, E extends object, P extends PropsAccepting<E, AttrValue<A, N>>>(attr: N, target: E, prop: P): Unbind;
  property<N extends ScalarAttr<A>, E extends object, P extends keyof E & string>(
    attr: N,
    target: E,
    prop: P,
    format: (value: AttrValue<A, N>) => E[P],
  ): Unbind;
  /** {@link bindAttribute} on this view, undone with it. */
  attribute<N extends ScalarAttr<A>>(attr: N, el: Element, name: string, format?: (value: AttrValue<A, N>) => string | null): Unbind;
  /** {@link bindStyle} on this view, undone with it. */
  style(attr: DictAttr<A>, el: Styled): Unbind;
  /** {@link bindDataset} on this view, undone with it. */
  dataset(attr: DictAttr<A>, el: HTMLElement | SVGElement): Unbind;
  /** {@link bindAttributes} on this view, undone with it. */
  attributes(attr: DictAttr<A>, el: Element): Unbind;
  /** {@link bindList} on this view, undone with it. */
  list<N extends ListAttr<A>, E extends Element>(attr: N, container: Element, renderer: ListRenderer<ListItem<A, N>, E>): Unbind;
}

/** A {@link ViewContext} and the disposal it promises; the mount owns one per built view. */
export class BindingScope<A extends AttrMap = AttrMap> implements ViewContext<A> {
  readonly view: ObjectView<A>;
  readonly #abort = new AbortController();
  #cleanups: Unbind[] | null = [];

  constructor(view: ObjectView<A>) {
    this.view = view;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether {@link dispose} ran. */
  get disposed(): boolean {
    return this.#cleanups === null;
  }

  own(cleanup: Unbind): Unbind {
    if (this.#cleanups === null) cleanup();
    else this.#cleanups.push(cleanup);
    return cleanup;
  }

  text<N extends ScalarAttr<A>>(attr: N, node: Node, format?: (value: AttrValue<A, N>) => string): Unbind {
    return this.own(bindText(this.view, attr, node, format));
  }

  property<N extends ScalarAttr<A>, E extends object, P extends PropsAccepting<E, AttrValue<A, N>>>(attr: N, target: E, prop: P): Unbind;
  property<N extends ScalarAttr<A>, E extends object, P extends keyof E & string>(
    attr: N,
    target: E,
    prop: P,
    format: (value: AttrValue<A, N>) => E[P],
  ): Unbind;
  property<N extends ScalarAttr<A>, E extends object, P extends keyof E & string>(
    attr: N,
    target: E,
    prop: P,
    format?: (value: AttrValue<A, N>) => E[P],
  ): Unbind {
    return this.own(bindPropertyWith(this.view, attr, target, prop, format));
  }

  attribute<N extends ScalarAttr<A>>(attr: N, el: Element, name: string, format?: (value: AttrValue<A, N>) => string | null): Unbind {
    return this.own(bindAttribute(this.view, attr, el, name, format));
  }

  style(attr: DictAttr<A>, el: Styled): Unbind {
    return this.own(bindStyle(this.view, attr, el));
  }

  dataset(attr: DictAttr<A>, el: HTMLElement | SVGElement): Unbind {
    return this.own(bindDataset(this.view, attr, el));
  }

  attributes(attr: DictAttr<A>, el: Element): Unbind {
    return this.own(bindAttributes(this.view, attr, el));
  }

  list<N extends ListAttr<A>, E extends Element>(attr: N, container: Element, renderer: ListRenderer<ListItem<A, N>, E>): Unbind {
    return this.own(bindList(this.view, attr, container, renderer));
  }

  /** Aborts `signal` and runs every owned cleanup, last first; later calls do nothing. */
  dispose(): void {
    const cleanups = this.#cleanups;
    if (cleanups === null) return;
    this.#cleanups = null;
    this.#abort.abort();
    for (let i = cleanups.length - 1; i >= 0; i--) cleanups[i]?.();
  }
}
