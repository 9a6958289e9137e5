/** Types and a server/client harness for integration tests: real socket.io on port 0, real clients. */
import { afterEach } from 'vitest';
import { SyncServer, type SyncServerOptions } from '../../server/index.js';
import { SyncClient, type Mirror } from '../../client/index.js';
import { types } from './types.js';

export { Board, Card, types } from './types.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Starts a SyncServer on 127.0.0.1:0, closed after the test. */
export async function startServer(options: Partial<SyncServerOptions> = {}): Promise<{ server: SyncServer; url: string }> {
  const server = new SyncServer({ types, ...options });
  const port = await server.listen(0);
  cleanups.push(() => server.close());
  return { server, url: `http://127.0.0.1:${port}` };
}

/** Connects a SyncClient, closed after the test. */
export function connect(url: string, clientId?: string): SyncClient {
  const client = new SyncClient(clientId === undefined ? { url, types } : { url, types, clientId });
  cleanups.push(() => client.close());
  return client;
}

/** Resolves when `check` holds, polling; rejects after `ms`. */
export async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves when the mirror reaches `seq`. */
export function reach(mirror: Mirror, seq: number): Promise<void> {
  return until(() => mirror.seq >= seq);
}
