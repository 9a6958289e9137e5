/**
 * `npm start`: the live dashboard example. Listens on PORT (default 3000) at HOST (default
 * 127.0.0.1), prints the page's address, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
 */
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

let dashboard: Awaited<ReturnType<typeof startDashboard>>;
try {
  dashboard = await startDashboard({ port, host });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') console.error(`port ${port} is in use: set PORT to another one, e.g. PORT=3001 npm start`);
  else console.error(error);
  process.exit(1);
}

console.log(`treesync dashboard: ${dashboard.url}`);

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
