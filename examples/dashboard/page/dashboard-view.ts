/** The view of the Dashboard root: its (renamable) title, the "add panel" control, and the grid the panels go into. */
import type { DomView, ObjectView, ViewContext } from 'treesync/client';
import { METRICS, METRIC_NAMES, Panel, panelValues, isMetric, type Dashboard } from '../types.js';
import { h, iconButton } from './dom.js';
import { inlineEdit } from './inline-edit.js';

type DashboardAttrs = (typeof Dashboard)['attrs'];

/**
 * Builds the dashboard's frame; the mount puts each Panel's view into the returned `container`.
 * @example
 * registry.register(Dashboard, (root, ctx) => dashboardView(root, ctx, console.error));
 */
export function dashboardView(root: ObjectView<DashboardAttrs>, ctx: ViewContext<DashboardAttrs>, report: (error: unknown) => void): DomView {
  const title = h('h1', 'dashboard-title');
  const renameButton = iconButton('rename-dashboard', 'Rename dashboard', '✎');
  const heading = h('div', 'dashboard-heading', {}, title, renameButton);

  const select = h('select', 'add-metric', { 'aria-label': 'Metric', name: 'metric' });
  for (const name of METRIC_NAMES) select.append(new Option(METRICS[name].label, name));
  const add = h('button', 'add-button', { type: 'submit' }, '+ Add panel');
  const form = h('form', 'add-panel', { 'aria-label': 'Add a panel' }, select, add);

  const grid = h('div', 'grid', { 'aria-live': 'off' });
  const el = h('section', 'dashboard', {}, h('div', 'dashboard-bar', {}, heading, form), grid);

  ctx.text('title', title);
  const rename = inlineEdit(title, {
    current: () => root.get('title'),
    commit: (text) => void root.attrs.title.set(text).catch(report),
    signal: ctx.signal,
    label: 'Dashboard title',
  });
  renameButton.addEventListener('click', rename.start, { signal: ctx.signal });

  form.addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      const metric = select.value;
      if (!isMetric(metric)) return;
      add.disabled = true;
      root
        .create(Panel, panelValues(metric))
        .catch(report)
        .finally(() => (add.disabled = false));
    },
    { signal: ctx.signal },
  );

  return { el, container: grid };
}
