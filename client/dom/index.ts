/**
 * treesync's DOM binding: frontend types (a view factory per type name, mounted on a mirror) and
 * binders from one attribute to text, properties, attributes, style, dataset and keyed children.
 * @example
 * import { ViewRegistry } from 'treesync/client';
 * const mount = new ViewRegistry()
 *   .register(Gauge, (gauge, ctx) => {
 *     const el = document.createElement('span');
 *     ctx.text('value', el, (v) => v.toFixed(1));
 *     return { el };
 *   })
 *   .mount(mirror, document.getElementById('app')!);
 */
export { bindAttributes, bindDataset, bindStyle, type Styled } from './bind-dict.js';
export { bindList, type ListRenderer } from './bind-list.js';
export { bindAttribute, bindProperty, bindText, type PropsAccepting } from './bind-value.js';
export {
  watch,
  type AttrOfKind,
  type AttrValue,
  type DictAttr,
  type ListAttr,
  type ListItem,
  type ScalarAttr,
  type Unbind,
} from './binding.js';
export type { DomView, Mount, MirrorSource, ViewFactory } from './mount.js';
export { BindingScope, type ViewContext } from './view-context.js';
export { ViewRegistry } from './view-registry.js';
