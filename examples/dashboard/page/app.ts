/**
 * The dashboard page: joins the `dashboard` tree and mounts a view per object (the Dashboard
 * frame, a card per Panel). Everything on screen comes from the mirror through DOM bindings;
 * every edit is a proposal the server applies and sends to every open page. Edits show at once,
 * before the server confirms them, and wait in sessionStorage while the page is offline.
 */
import { SyncClient, ViewRegistry } from 'treesync/client';
import { Dashboard, Panel, TREE_NAME, types } from '../types.js';
import { dashboardView } from './dashboard-view.js';
import { panelView } from './panel-view.js';

type Status = 'connecting' | 'live' | 'offline' | 'failed';

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`index.html has no #${id}`);
  return el;
}

const app = byId('app');
const status = byId('status');
const seq = byId('seq');
const toast = byId('toast');

function setStatus(state: Status, text: string): void {
  status.dataset['state'] = state;
  status.textContent = text;
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
/** Shows a failed proposal (or connection error) for a few seconds. */
function report(error: unknown): void {
  const code = typeof error === 'object' && error !== null && 'code' in error ? `${String(error.code)}: ` : '';
  toast.textContent = code + (error instanceof Error ? error.message : String(error));
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), 5000);
}

setStatus('connecting', 'connecting…');
// The client id is kept per tab (sessionStorage): a reload keeps it, a second tab gets its own.
const client = new SyncClient({ url: location.origin, types });
client.on('welcome', () => setStatus('live', 'live'));
client.on('disconnect', () => setStatus('offline', 'offline, reconnecting…'));
client.on('error', report);
// Every refused proposal, including edits made offline before a reload (they have no promise left).
client.on('reject', (error) => report(error));

try {
  const mirror = await client.join(TREE_NAME);
  setStatus('live', 'live');
  // Edits show at once (pending) and are queued while offline, in sessionStorage across reloads.
  const showSeq = (): void => void (seq.textContent = mirror.pending > 0 ? `seq ${mirror.seq} · ${mirror.pending} pending` : `seq ${mirror.seq}`);
  mirror.on('batch', showSeq);
  showSeq();
  new ViewRegistry()
    .register(Dashboard, (root, ctx) => dashboardView(root, ctx, report))
    .register(Panel, (panel, ctx) => panelView(panel, ctx, report))
    .mount(mirror, app);
} catch (error) {
  setStatus('failed', 'could not join');
  report(error);
}
