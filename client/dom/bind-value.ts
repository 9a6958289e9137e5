/**
 * Binders for one string, number or boolean attribute: to a node's text, to a property of an
 * element (or any object), or to an element's attribute.
 */
import type { AttrMap } from '../../shared/index.js';
import type { ObjectView } from '../types.js';
import { watch, type AttrValue, type ScalarAttr, type Unbind } from './binding.js';

/** The property names of `E` that can hold a `V` as it is. */
export type PropsAccepting<E, V> = { [P in keyof E]-?: [V] extends [E[P]] ? P : never }[keyof E] & string;

/**
 * Keeps `node.textContent` equal to the attribute, through `format` or `String`.
 * @example
 * bindText(gauge, 'value', span, (v) => v.toFixed(1));
 */
export function bindText<A extends AttrMap, N extends ScalarAttr<A>>(
  view: ObjectView<A>,
  attr: N,
  node: Node,
  format?: (value: AttrValue<A, N>) => string,
): Unbind {
  return watch(view, attr, (value) => {
    const text = format === undefined ? String(value) : format(value);
    // Writing the same text would still replace the text node.
    if (node.textContent !== text) node.textContent = text;
  });
}

/**
 * Keeps `target[prop]` equal to the attribute; without `format` the property must accept the value as it is.
 * @example
 * bindProperty(task, 'done', checkbox, 'checked');
 * bindProperty(gauge, 'value', input, 'value', String);
 */
export function bindProperty<A extends AttrMap, N extends ScalarAttr<A>, E extends object, P extends PropsAccepting<E, AttrValue<A, N>>>(
  view: ObjectView<A>,
  attr: N,
  target: E,
  prop: P,
): Unbind;
export function bindProperty<A extends AttrMap, N extends ScalarAttr<A>, E extends object, P extends keyof E & string>(
  view: ObjectView<A>,
  attr: N,
  target: E,
  prop: P,
  format: (value: AttrValue<A, N>) => E[P],
): Unbind;
export function bindProperty<A extends AttrMap, N extends ScalarAttr<A>, E extends object, P extends keyof E & string>(
  view: ObjectView<A>,
  attr: N,
  target: E,
  prop: P,
  format?: (value: AttrValue<A, N>) => E[P],
): Unbind {
  return bindPropertyWith(view, attr, target, prop, format);
}

/** The implementation of {@link bindProperty} without its overloads, for callers that forward an optional `format`. */
export function bindPropertyWith<A extends AttrMap, N extends ScalarAttr<A>, E extends object, P extends keyof E & string>(
  view: ObjectView<A>,
  attr: N,
  target: E,
  prop: P,
  format: ((value: AttrValue<A, N>) => E[P]) | undefined,
): Unbind {
  return watch(view, attr, (value) => {
    // Without format the overloads proved that E[P] accepts the value.
    const next = format === undefined ? (value as E[P]) : format(value);
    // Reassigning an input's value moves its caret: write only on a real change.
    if (target[prop] !== next) target[prop] = next;
  });
}

/** What an element attribute is set to for a value: `null`, `undefined` and `false` remove it, `true` sets it empty. */
export function attributeText(value: unknown): string | null {
  if (value === null || value === undefined || value === false) return null;
  if (value === true) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Keeps the element attribute `name` equal to the attribute, through `format` or {@link attributeText};
 * a `null` from `format` removes it.
 * @example
 * bindAttribute(link, 'url', a, 'href');
 * bindAttribute(task, 'done', row, 'aria-checked', String);
 */
export function bindAttribute<A extends AttrMap, N extends ScalarAttr<A>>(
  view: ObjectView<A>,
  attr: N,
  el: Element,
  name: string,
  format?: (value: AttrValue<A, N>) => string | null,
): Unbind {
  return watch(view, attr, (value) => {
    setAttribute(el, name, format === undefined ? attributeText(value) : format(value));
  });
}

/** Sets or (for `null`) removes one element attribute, skipping writes that change nothing. */
export function setAttribute(el: Element, name: string, text: string | null): void {
  if (text === null) el.removeAttribute(name);
  else if (el.getAttribute(name) !== text) el.setAttribute(name, text);
}
