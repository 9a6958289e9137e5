/**
 * A durability bench server process (bench/durability.ts starts it pinned to core 0):
 *
 * `durability-server.ts load <none|memory|sqlite> <cards> [db path]`: a SyncServer whose tree
 * VOTES_TREE holds `cards` Cards, with no store, a MemoryStore or a SqliteStore at the path;
 * replies `ready` with its port. `mark` starts the measurement window (CPU, event-loop delay,
 * proposals applied, group commits; a CPU profile with BENCH_PROF=1); `stop` replies with a
 * LoadServerReport.
 *
 * `durability-server.ts catchup <db path> <log window>`: a SyncServer with a SqliteStore and the
 * given `logWindow`, whose tree CATCHUP_TREE holds CATCHUP_OBJECTS Docs; replies `ready` with its
 * port. Each `start` sets the value of CATCHUP_UPDATES distinct Docs, one set (one commit) each,
 * and replies `updated` with the tree's seq once they are durable.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MemoryStore, SqliteStore, SyncServer, type Store } from '../server/index.js';
import { fatal, onCommand, reply } from './lib/child.js';
import { CATCHUP_OBJECTS, CATCHUP_TREE, CATCHUP_UPDATES, Card, DURABLE_TYPES, Doc, DurableRoot, STORES, VOTES_TREE, type LoadServerReport, type StoreKind } from './lib/durability-model.js';
import { PROFILING, startProfile } from './lib/profile.js';

/** Group commits that wrote something: the store's commit() is called by the host only when it is dirty. */
const counter = { commits: 0 };

class CountingSqliteStore extends SqliteStore {
  override commit(): void {
    counter.commits++;
    super.commit();
  }
}

class CountingMemoryStore extends MemoryStore {
  override commit(): void {
    counter.commits++;
    super.commit();
  }
}

function openStore(kind: StoreKind, path: string | undefined): Store | undefined {
  switch (kind) {
    case 'none':
      return undefined;
    case 'memory':
      return new CountingMemoryStore();
    case 'sqlite':
      if (path === undefined) throw new Error('the sqlite store needs a file path');
      return new CountingSqliteStore(path);
  }
}

async function load(kind: StoreKind, cards: number, path: string | undefined): Promise<void> {
  const store = openStore(kind, path);
  const server = new SyncServer({ types: DURABLE_TYPES, ...(store === undefined ? {} : { store }) });
  const tree = server.tree(VOTES_TREE, DurableRoot);
  tree.transact(() => {
    for (let i = 0; i < cards; i++) tree.root.create(Card, { title: `card ${i}` });
  });
  let commits = 0;
  tree.on('commit', (_firstSeq, _ops, origin) => {
    if (origin !== 'server') commits++;
  });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let mark = { commits: 0, groupCommits: 0, cpu: process.cpuUsage(), at: performance.now() };
  let profile: Awaited<ReturnType<typeof startProfile>> | undefined;
  const port = await server.listen(0);
  onCommand(async (cmd) => {
    if (cmd === 'mark') {
      if (PROFILING) profile = await startProfile(`durability-${kind}`);
      loop.reset();
      mark = { commits, groupCommits: counter.commits, cpu: process.cpuUsage(), at: performance.now() };
    } else if (cmd === 'stop') {
      const cpu = process.cpuUsage(mark.cpu);
      const seconds = (performance.now() - mark.at) / 1000;
      const report: LoadServerReport = {
        type: 'report',
        commits: commits - mark.commits,
        seconds,
        cpuUs: cpu.user + cpu.system,
        loopP99Ms: loop.percentile(99) / 1e6,
        groupCommits: counter.commits - mark.groupCommits,
        ...(profile === undefined ? {} : { profile: await profile.stop() }),
      };
      reply({ ...report });
    }
  });
  reply({ type: 'ready', port });
}

async function catchup(path: string, logWindow: number): Promise<void> {
  const server = new SyncServer({ types: DURABLE_TYPES, store: new SqliteStore(path), logWindow });
  const tree = server.tree(CATCHUP_TREE, DurableRoot);
  const docs = tree.transact(() => Array.from({ length: CATCHUP_OBJECTS }, (_, i) => tree.root.create(Doc, { name: `doc ${i}`, value: i, x: i / 4, tag: i % 2 === 0 ? 'even' : 'odd' })));
  const port = await server.listen(0);
  let round = 0;
  onCommand(async (cmd) => {
    if (cmd !== 'start') return;
    round++;
    // CATCHUP_UPDATES distinct objects spread over the tree, a different set each round.
    const stride = Math.floor(CATCHUP_OBJECTS / CATCHUP_UPDATES);
    for (let k = 0; k < CATCHUP_UPDATES; k++) docs[(k * stride + round) % CATCHUP_OBJECTS]?.attrs.value.set(round * 1_000_000 + k);
    // Durable (and off the fan-out buffer) before the client comes back.
    await new Promise<void>((resolve) => server.host.whenDurable(resolve));
    server.host.flush(tree);
    reply({ type: 'updated', seq: tree.seq });
  });
  reply({ type: 'ready', port, seq: tree.seq, epoch: tree.epoch });
}

const [mode = '', a = '', b = '', c] = process.argv.slice(2);
if (mode === 'load' && (STORES as readonly string[]).includes(a)) load(a as StoreKind, Number(b), c).catch(fatal);
else if (mode === 'catchup') catchup(a, Number(b)).catch(fatal);
else fatal(new Error(`usage: durability-server.ts load <${STORES.join('|')}> <cards> [db path] | catchup <db path> <log window>`));
