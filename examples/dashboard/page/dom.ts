/** A few lines of DOM building, so the views read as their markup. */

type Attrs = Readonly<Record<string, string>>;

/** Makes an element with a class, attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className !== '') el.className = className;
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

/** A small icon button that names its action in `data-action`, `title` and `aria-label`. */
export function iconButton(action: string, label: string, glyph: string): HTMLButtonElement {
  return h('button', 'icon-button', { type: 'button', 'data-action': action, title: label, 'aria-label': label }, glyph);
}
