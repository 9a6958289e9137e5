/**
 * `npm start`: the live dashboard example. Listens on PORT (default 3000) at HOST (default
 * 127.0.0.1), keeps its tree in the SQLite file TREESYNC_DB (default
 * examples/dashboard/.data/dashboard.db), prints the page's address, and stops cleanly on Ctrl-C
 * (SIGINT) or SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SqliteStore } from 'treesync/server';
import { startDashboard } from './server.js';

const DEFAULT_PORT = 3000;

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`PORT must be an integer from 0 to 65535, not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return port;
}

const port = parsePort(process.env['PORT']);
const host = process.env['HOST'] ?? '127.0.0.1';
// The embedded store: a SQLite file, so renamed and reordered panels survive a restart.
const dbPath = resolve(process.env['TREESYNC_DB'] ?? 'examples/dashboard/.data/dashboard.db');

let dashboard: Awaited<ReturnType<typeof startDashboard>>;
try {
  mkdirSync(dirname(dbPath), { recursive: true });
  dashboard = await startDashboard({ port, host, store: new SqliteStore(dbPath) });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') console.error(`port ${port} is in use: set PORT to another one, e.g. PORT=3001 npm start`);
  // A corrupt store says so, naming its file.
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

console.log(`treesync dashboard: ${dashboard.url} (store: ${dbPath})`);

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) {
    // A second Ctrl-C means "now".
    process.exit(130);
  }
  stopping = true;
  console.log(`${signal}: shutting down`);
  dashboard.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
