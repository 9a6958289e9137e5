/** The view of one Panel: title, live figure and unit, sparkline, and controls to rename, reorder and remove it. */
import { watch, type DomView, type ObjectView, type ViewContext } from 'treesync/client';
import { HISTORY_LENGTH, METRICS, isMetric, type Panel } from '../types.js';
import { h, iconButton } from './dom.js';
import { inlineEdit } from './inline-edit.js';
import { createSparkline, drawSparkline } from './sparkline.js';

type PanelAttrs = (typeof Panel)['attrs'];

/** How a figure is printed: counts as integers, milliseconds with two decimals, the rest with one. */
function formatFigure(metric: string, value: number): string {
  if (metric === 'clients') return String(Math.round(value));
  return value.toFixed(metric === 'loopDelay' ? 2 : 1);
}

function summary(metric: string, history: readonly number[]): string {
  if (history.length === 0) return 'waiting for samples…';
  const max = Math.max(...history);
  const avg = history.reduce((a, b) => a + b, 0) / history.length;
  return `avg ${formatFigure(metric, avg)} · max ${formatFigure(metric, max)} · ${history.length} samples`;
}

/**
 * Builds a panel's card. Every binding goes through `ctx`, so it is undone when the panel is destroyed.
 * @example
 * registry.register(Panel, (panel, ctx) => panelView(panel, ctx, console.error));
 */
export function panelView(panel: ObjectView<PanelAttrs>, ctx: ViewContext<PanelAttrs>, report: (error: unknown) => void): DomView {
  const title = h('h2', 'panel-title');
  const actions = h(
    'div',
    'panel-actions',
    {},
    iconButton('rename', 'Rename', '✎'),
    iconButton('up', 'Move up', '←'),
    iconButton('down', 'Move down', '→'),
    iconButton('remove', 'Remove', '✕'),
  );
  const head = h('header', 'panel-head', {}, title, actions);
  const value = h('span', 'panel-value');
  const unit = h('span', 'panel-unit');
  const figure = h('div', 'panel-figure', {}, value, unit);
  const spark = createSparkline();
  const meta = h('footer', 'panel-meta');
  const el = h('article', 'panel', { 'data-id': String(panel.id) }, head, figure, spark.el, meta);

  ctx.text('title', title);
  ctx.attribute('title', el, 'aria-label');
  ctx.attribute('metric', el, 'data-metric');
  ctx.text('value', value, (v) => formatFigure(panel.get('metric'), v));
  ctx.text('unit', unit);
  ctx.own(
    watch(panel, 'history', (history) => {
      const metric = panel.get('metric');
      drawSparkline(spark, history, HISTORY_LENGTH, isMetric(metric) ? METRICS[metric].max : undefined);
      meta.textContent = summary(metric, history);
    }),
  );

  const rename = inlineEdit(title, {
    current: () => panel.get('title'),
    commit: (text) => void panel.attrs.title.set(text).catch(report),
    signal: ctx.signal,
    label: 'Panel title',
  });

  /** Moves the panel by `delta` places among its siblings; at either end it stays put. */
  const shift = (delta: -1 | 1): void => {
    const parent = panel.parent;
    if (parent === null) return;
    const index = panel.index;
    const to = index + delta;
    if (index < 0 || to < 0 || to >= parent.children.length) return;
    panel.move(parent, to).catch(report);
  };

  actions.addEventListener(
    'click',
    (event) => {
      const action = (event.target as Element).closest('button')?.dataset['action'];
      if (action === 'rename') rename.start();
      else if (action === 'up') shift(-1);
      else if (action === 'down') shift(1);
      else if (action === 'remove') {
        el.classList.add('is-leaving');
        panel.destroy().catch((error: unknown) => {
          el.classList.remove('is-leaving');
          report(error);
        });
      }
    },
    { signal: ctx.signal },
  );

  return { el };
}
