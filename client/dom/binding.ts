/**
 * The core every binder shares: typed attribute names by kind, and `watch`, which applies an
 * attribute's value now and on every change, and stops on unbind or when the object is destroyed.
 */
import type { AttrMap, AttrsOfKind, KindName, ValueOf } from '../../shared/index.js';
import type { ChangeEvent, ObjectView } from '../types.js';

/** Stops a binding; calling it again does nothing. */
export type Unbind = () => void;

/**
 * The attribute names of `A` whose kind is one of `K`. For an untyped view (`ObjectView<AttrMap>`)
 * every name is allowed, since its kinds are only known at run time.
 */
export type AttrOfKind<A extends AttrMap, K extends KindName> = keyof A & (string extends keyof A ? string : AttrsOfKind<A, K>);

/** The names of string, number and boolean attributes: what text, property and attribute binders accept. */
export type ScalarAttr<A extends AttrMap> = AttrOfKind<A, 'string' | 'number' | 'boolean'>;

/** The names of dict attributes. */
export type DictAttr<A extends AttrMap> = AttrOfKind<A, 'dict'>;

/** The names of list attributes. */
export type ListAttr<A extends AttrMap> = AttrOfKind<A, 'list'>;

/** The value type of attribute `N` (`unknown` on an untyped view). */
export type AttrValue<A extends AttrMap, N extends keyof A> = ValueOf<A[N]>;

/** The element type of list attribute `N` (`unknown` on an untyped view). */
export type ListItem<A extends AttrMap, N extends keyof A> = AttrValue<A, N> extends readonly (infer E)[] ? E : unknown;

const NOOP: Unbind = () => undefined;

/**
 * Calls `apply` with the attribute's current value at once and again after every batch that changes
 * it; the returned function stops it, and so does the object's destruction. On a view that is no
 * longer alive it does nothing.
 * @example
 * const unbind = watch(view, 'label', (label) => { title.textContent = label; });
 */
export function watch<A extends AttrMap, N extends keyof A & string>(
  view: ObjectView<A>,
  attr: N,
  apply: (value: AttrValue<A, N>) => void,
): Unbind {
  if (!view.alive) return NOOP;
  let bound = true;
  const onChange = (event: ChangeEvent): void => {
    // The event is untyped; the mirror validated the value against the attribute's kind.
    if (event.attr === attr) apply(event.newValue as AttrValue<A, N>);
  };
  const unbind = (): void => {
    if (!bound) return;
    bound = false;
    view.off('change', onChange);
    view.off('destroy', unbind);
  };
  view.on('change', onChange);
  view.on('destroy', unbind);
  try {
    apply(view.get(attr));
  } catch (error) {
    unbind();
    throw error;
  }
  return unbind;
}
