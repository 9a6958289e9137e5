/**
 * The join measurement of `npm run bench`: a join server (`server.ts join`, core 0) and a join
 * client process (`join.ts`, core 1) timing `rounds` joins of the 10,000-object tree per path.
 * Its own module so that a test can run it against the real processes.
 */
import { Child } from './child.js';
import type { JoinReport, JoinResult } from './model.js';

/** Runs the join processes; their results, one per path (the socket.io floor, treesync's wire, SyncClient). */
export async function joins(rounds: number): Promise<readonly JoinResult[]> {
  const server = new Child('server.ts', ['join'], 0);
  let client: Child | undefined;
  try {
    const { port, sioPort } = await server.next<{ type: 'ready'; port: number; sioPort: number }>('ready');
    client = new Child('join.ts', [`http://127.0.0.1:${port}`, `http://127.0.0.1:${sioPort}`, String(rounds)], 1);
    return (await client.next<JoinReport & { readonly [key: string]: unknown }>('report', 120_000)).results;
  } finally {
    await Promise.all([server.stop(), client?.stop()]);
  }
}
