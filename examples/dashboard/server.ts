/**
 * The dashboard server: serves the page, hosts the `dashboard` tree over treesync, and once per
 * interval writes fresh figures into every panel in one transaction.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SyncServer, type Store, type Tree } from 'treesync/server';
import { buildPage, PUBLIC_DIR } from './build.js';
import { MetricSampler, type Sample } from './metrics.js';
import { serveStatic } from './static-files.js';
import {
  Dashboard,
  HISTORY_LENGTH,
  METRIC_NAMES,
  Panel,
  TREE_NAME,
  isMetric,
  panelValues,
  types,
} from './types.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The port to listen on; 0 picks a free one (default 3000). */
  readonly port?: number;
  /** The interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Log nothing (default false: connections and failures go to the console). */
  readonly quiet?: boolean;
  /** Milliseconds between samples (default 1000). */
  readonly sampleIntervalMs?: number;
  /** Bundle the page before serving it (default true). */
  readonly build?: boolean;
  /** Where the tree persists (default: memory only). `npm start` passes a SqliteStore. */
  readonly store?: Store;
}

/** A running dashboard, returned by {@link startDashboard}. */
export interface RunningDashboard {
  /** The page's address, e.g. `http://127.0.0.1:3000/`. */
  readonly url: string;
  readonly port: number;
  readonly server: SyncServer;
  readonly tree: Tree<(typeof Dashboard)['attrs']>;
  /** Stops sampling, disconnects every page and closes the http server. */
  close(): Promise<void>;
}

/** The address a browser should use for a listening socket. */
function urlOf(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`;
}

/** Writes one sample into every panel whose metric it has, as one transaction. */
function writeSample(tree: RunningDashboard['tree'], sample: Sample): void {
  tree.transact(() => {
    for (const panel of tree.root.children) {
      if (!panel.is(Panel)) continue;
      const metric = panel.attrs.metric.value;
      if (!isMetric(metric)) continue;
      const value = sample[metric];
      panel.attrs.value.set(value);
      panel.attrs.history.push(value);
      const extra = panel.attrs.history.value.length - HISTORY_LENGTH;
      if (extra > 0) panel.attrs.history.remove(0, extra);
    }
  });
}

/**
 * Bundles the page, starts the http and treesync server, creates the default panels and starts sampling.
 * @example
 * const dashboard = await startDashboard({ port: 0, quiet: true });
 * console.log(dashboard.url);
 * await dashboard.close();
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<RunningDashboard> {
  const log = options.quiet === true ? () => undefined : (msg: string): void => console.log(msg);
  if (options.build ?? true) await buildPage();

  const httpServer = createServer(serveStatic(PUBLIC_DIR));
  // socket.io wraps the http server's request listeners: attach it after the static handler.
  const server = new SyncServer(options.store === undefined ? { types, httpServer } : { types, httpServer, store: options.store });
  const tree = server.tree(TREE_NAME, Dashboard);
  // A tree restored from the store keeps its panels (and whatever pages renamed or reordered).
  if (tree.seq === 0) tree.transact(() => METRIC_NAMES.forEach((metric) => tree.root.create(Panel, panelValues(metric))));

  const sampler = new MetricSampler(() => server.sessionCount);
  tree.on('commit', (_firstSeq, ops) => sampler.countScribes(ops.length));
  server.on('connection', () => log(`page connected (${server.sessionCount} open)`));
  server.on('disconnect', (_session, reason) => log(`page disconnected: ${reason} (${server.sessionCount} open)`));

  const timer = setInterval(() => {
    try {
      writeSample(tree, sampler.sample());
    } catch (error) {
      log(`sampling failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }, options.sampleIntervalMs ?? 1000);

  try {
    httpServer.listen(options.port ?? 3000, options.host ?? '127.0.0.1');
    await once(httpServer, 'listening');
  } catch (error) {
    clearInterval(timer);
    sampler.close();
    await server.close();
    throw error;
  }
  const address = httpServer.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(timer);
      sampler.close();
      // The SyncServer closes its connections; the http server is ours to close.
      await server.close();
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await closed;
    })();
    return closing;
  };

  return { url: urlOf(address), port: address.port, server, tree, close };
}
