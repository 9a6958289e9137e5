/**
 * Binders for one dict attribute: to an element's inline style, its dataset, or its attributes.
 * Each applies only the keys that changed: new or changed keys are set, deleted keys removed.
 */
import type { AttrMap } from '../../shared/index.js';
import type { ObjectView } from '../types.js';
import { attributeText, setAttribute } from './bind-value.js';
import { watch, type DictAttr, type Unbind } from './binding.js';

type Dict = Readonly<Record<string, unknown>>;

const EMPTY: Dict = Object.freeze({});

function asDict(value: unknown): Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Dict) : EMPTY;
}

/**
 * Watches a dict attribute and calls `write(key, value)` for each key whose value changed since the
 * last call (with `undefined` for a deleted key).
 */
function watchKeys<A extends AttrMap>(view: ObjectView<A>, attr: DictAttr<A>, write: (key: string, value: unknown) => void): Unbind {
  let applied = EMPTY;
  return watch(view, attr, (value) => {
    const next = asDict(value);
    for (const key of Object.keys(applied)) {
      if (!Object.hasOwn(next, key)) write(key, undefined);
    }
    for (const key of Object.keys(next)) {
      // Untouched entries keep their identity in the mirror's immutable state.
      if (!Object.hasOwn(applied, key) || applied[key] !== next[key]) write(key, next[key]);
    }
    applied = next;
  });
}

/** The text a style property is set to; `null`, `undefined` and `false` clear it. */
function styleText(value: unknown): string | null {
  if (value === null || value === undefined || value === false) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What `el.style` offers, on HTML, SVG and MathML elements alike. */
export interface Styled {
  readonly style: CSSStyleDeclaration;
}

/**
 * Keeps `el.style` in step with a dict attribute. Keys may be CSS names (`font-size`, `--accent`,
 * set through `setProperty`) or camelCase names (`fontSize`); a deleted key clears that property
 * and styles the dict never named are left alone.
 * @example
 * bindStyle(box, 'style', div); // { 'background-color': 'yellow', fontSize: '30px' }
 */
export function bindStyle<A extends AttrMap>(view: ObjectView<A>, attr: DictAttr<A>, el: Styled): Unbind {
  const style = el.style;
  return watchKeys(view, attr, (key, value) => {
    const text = styleText(value);
    if (key.includes('-')) {
      if (text === null) style.removeProperty(key);
      else style.setProperty(key, text);
    } else {
      // camelCase names are properties of the declaration, not CSS property names.
      (style as unknown as Record<string, string>)[key] = text ?? '';
    }
  });
}

/** `data-*` style `foo-bar` to the dataset's `fooBar`; camelCase keys pass through. */
function datasetKey(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Keeps `el.dataset` in step with a dict attribute; keys may be camelCase (`userId`) or
 * hyphenated (`user-id`), and both mean `data-user-id`.
 * @example
 * bindDataset(row, 'meta', tr); // { userId: '7' } -> <tr data-user-id="7">
 */
export function bindDataset<A extends AttrMap>(view: ObjectView<A>, attr: DictAttr<A>, el: HTMLElement | SVGElement): Unbind {
  const dataset = el.dataset;
  return watchKeys(view, attr, (key, value) => {
    const name = datasetKey(key);
    const text = attributeText(value);
    if (text === null) delete dataset[name];
    else if (dataset[name] !== text) dataset[name] = text;
  });
}

/**
 * Keeps the element's attributes in step with a dict attribute: `true` sets an empty attribute,
 * `false` or a deleted key removes it, other values are set as text.
 * @example
 * bindAttributes(field, 'attrs', input); // { placeholder: 'Name', required: true }
 */
export function bindAttributes<A extends AttrMap>(view: ObjectView<A>, attr: DictAttr<A>, el: Element): Unbind {
  return watchKeys(view, attr, (key, value) => {
    setAttribute(el, key, attributeText(value));
  });
}
