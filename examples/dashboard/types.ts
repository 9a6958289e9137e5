/**
 * The dashboard's object types, shared by the server (which samples the figures) and the page
 * (which shows and edits them). One definition drives both sides.
 */
import { defineType, t } from 'treesync';

/** The figures the server can sample, with how a panel shows them. */
export const METRICS = {
  cpu: { label: 'CPU load', unit: '%', max: 100 },
  memory: { label: 'Memory used', unit: '%', max: 100 },
  loopDelay: { label: 'Event-loop delay p99', unit: 'ms', max: undefined },
  clients: { label: 'Connected clients', unit: '', max: undefined },
  scribes: { label: 'Scribes per second', unit: '/s', max: undefined },
} as const satisfies Record<string, { label: string; unit: string; max: number | undefined }>;

/** One of the {@link METRICS} names. */
export type MetricName = keyof typeof METRICS;

/** The metric names in display order. */
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Whether a string names a metric (a panel's `metric` is a plain string on the wire). */
export function isMetric(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

/** How many samples a panel's history keeps: one minute at one sample per second. */
export const HISTORY_LENGTH = 60;

/** The root of the `dashboard` tree. */
export const Dashboard = defineType('Dashboard', {
  title: t.string('treesync dashboard'),
});

/** One card on the dashboard: a live figure, its unit and its recent history. */
export const Panel = defineType('Panel', {
  title: t.string('Untitled'),
  /** One of {@link METRIC_NAMES}; a panel with another value is shown but never updated. */
  metric: t.string('cpu'),
  value: t.number(0),
  unit: t.string(''),
  /** The last {@link HISTORY_LENGTH} samples, oldest first. */
  history: t.list(t.number()),
});

/** Every type of the dashboard, in the order the server registers them. */
export const types = [Dashboard, Panel] as const;

/** The name of the one tree the dashboard uses. */
export const TREE_NAME = 'dashboard';

/** The initial values of a new panel showing `metric`. */
export function panelValues(metric: MetricName): { title: string; metric: string; unit: string } {
  const m = METRICS[metric];
  return { title: m.label, metric, unit: m.unit };
}
