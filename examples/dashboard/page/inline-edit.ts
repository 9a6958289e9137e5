/**
 * Inline renaming: a heading that turns into a text input; Enter (or leaving the field) proposes
 * the new text, Escape cancels. The heading itself stays bound to the attribute.
 */

/** Options of {@link inlineEdit}. */
export interface InlineEditOptions {
  /** The current text, read when editing starts. */
  readonly current: () => string;
  /** Proposes the new text (called only when it changed and is not blank). */
  readonly commit: (text: string) => void;
  /** Aborted when the owning view goes away. */
  readonly signal: AbortSignal;
  readonly label: string;
  readonly maxLength?: number;
}

/**
 * Puts a hidden input after `heading`; `start()` swaps them and focuses the input.
 * @example
 * const edit = inlineEdit(h2, { current: () => view.get('title'), commit: (t) => void view.attrs.title.set(t), signal, label: 'Panel title' });
 * button.addEventListener('click', edit.start);
 */
export function inlineEdit(heading: HTMLElement, options: InlineEditOptions): { input: HTMLInputElement; start: () => void } {
  const input = document.createElement('input');
  input.type = 'text';
  input.className = 'inline-edit';
  input.hidden = true;
  input.maxLength = options.maxLength ?? 80;
  input.setAttribute('aria-label', options.label);
  heading.after(input);
  let editing = false;

  const finish = (save: boolean): void => {
    if (!editing) return;
    editing = false;
    const text = input.value.trim();
    input.hidden = true;
    heading.hidden = false;
    if (save && text !== '' && text !== options.current()) options.commit(text);
  };
  const start = (): void => {
    if (editing) return;
    editing = true;
    input.value = options.current();
    heading.hidden = true;
    input.hidden = false;
    input.focus();
    input.select();
  };

  const { signal } = options;
  input.addEventListener(
    'keydown',
    (event) => {
      if (event.key === 'Enter') finish(true);
      else if (event.key === 'Escape') finish(false);
    },
    { signal },
  );
  input.addEventListener('blur', () => finish(true), { signal });
  heading.addEventListener('dblclick', start, { signal });
  return { input, start };
}
