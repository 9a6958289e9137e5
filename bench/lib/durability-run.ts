/**
 * The two measurements of `npm run bench:durability`, each a server process (core 0) and a client
 * process (core 1): acked mutations under load, and catch-up joins. Their own module so that a
 * test can run them against the real processes.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Child, sleep } from './child.js';
import type { CatchupRound, LoadClientsReport, LoadServerReport, StoreKind } from './durability-model.js';
import type { CatchupRun, LoadRun } from './durability-report.js';

/** Busy and total CPU time of cores 0 and 1 so far (ms), to see what else ran on them in a window. */
function coreTimes(): { busy: number; total: number }[] {
  return cpus()
    .slice(0, 2)
    .map(({ times: t }) => ({ busy: t.user + t.nice + t.sys + t.irq, total: t.user + t.nice + t.sys + t.irq + t.idle }));
}

/**
 * Acked mutations with `store` (its file in `dir`): K clients keeping W proposals in flight each;
 * after `warmup` seconds both processes measure a window of `seconds`. With BENCH_PROF=1 the
 * server's report carries the top lines of its window's profile.
 */
export async function load(dir: string, store: StoreKind, k: number, w: number, time: { readonly warmup: number; readonly seconds: number }): Promise<LoadRun> {
  const server = new Child('durability-server.ts', ['load', store, String(k), join(dir, `load-${store}-${k}x${w}.db`)], 0);
  let clients: Child | undefined;
  try {
    const { port } = await server.next<{ type: 'ready'; port: number }>('ready');
    clients = new Child('durability-clients.ts', [`http://127.0.0.1:${port}`, String(k), String(w)], 1);
    await clients.next('ready');
    clients.send({ cmd: 'start' });
    await sleep(time.warmup * 1000);
    server.send({ cmd: 'mark' });
    clients.send({ cmd: 'mark' });
    const before = coreTimes();
    await sleep(time.seconds * 1000);
    clients.send({ cmd: 'report' });
    server.send({ cmd: 'stop' });
    const coreBusy = coreTimes().map((t, i) => (t.busy - (before[i]?.busy ?? 0)) / Math.max(1, t.total - (before[i]?.total ?? 0)));
    const [serverReport, clientsReport] = await Promise.all([
      server.next<LoadServerReport & { readonly [key: string]: unknown }>('report'),
      clients.next<LoadClientsReport & { readonly [key: string]: unknown }>('report'),
    ]);
    return { store, k, w, server: serverReport, clients: clientsReport, coreBusy };
  } finally {
    await Promise.all([server.stop(), clients?.stop()]);
  }
}

/**
 * Catch-up joins against a SQLite-backed server (its file in `dir`) keeping `logWindow` scribes in
 * memory: per round the client joins and leaves, the server changes the tree, and the client
 * catches up (join with since + epoch) and rejoins in full. Round 0 warms up and is not reported;
 * a catch-up that does not end at the server's seq throws.
 */
export async function catchup(dir: string, label: string, logWindow: number, rounds: number): Promise<CatchupRun> {
  const server = new Child('durability-server.ts', ['catchup', join(dir, `catchup-${logWindow}.db`), String(logWindow)], 0);
  let client: Child | undefined;
  try {
    const { port } = await server.next<{ type: 'ready'; port: number }>('ready', 60_000);
    client = new Child('durability-catchup.ts', [`http://127.0.0.1:${port}`], 1);
    await client.next('ready');
    const out: CatchupRound[] = [];
    for (let i = 0; i <= rounds; i++) {
      client.send({ cmd: 'start' });
      await client.next('left');
      server.send({ cmd: 'start' });
      const { seq } = await server.next<{ type: 'updated'; seq: number }>('updated');
      client.send({ cmd: 'mark' });
      const { round } = await client.next<{ type: 'round'; round: CatchupRound }>('round');
      if (round.catchup.seq !== seq || round.full.seq !== seq) throw new Error(`caught up to seq ${round.catchup.seq} (full rejoin ${round.full.seq}), the server is at ${seq}`);
      if (i > 0) out.push(round);
    }
    return { label, logWindow, rounds: out };
  } finally {
    await Promise.all([server.stop(), client?.stop()]);
  }
}
