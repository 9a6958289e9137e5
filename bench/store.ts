/**
 * Store throughput: scribes appended and committed in batches of 1, 10 and 100, per store, with
 * the ratio to MemoryStore (the floor: no I/O, one JSON round trip) in the same run. Prints a
 * markdown table. SqliteStore files go in a temporary directory, removed at the end.
 *
 * Usage: tsx bench/store.ts [scribes]   (default 100,000; 'full' rows use a tenth of that)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OP, type Op } from '../shared/index.js';
import type { Store } from '../server/store/store.js';
import { MemoryStore } from '../server/store/memory-store.js';
import { SqliteStore } from '../server/store/sqlite-store.js';

const total = Number(process.argv[2] ?? 100_000);
const BATCHES = [1, 10, 100] as const;

interface Subject {
  readonly name: string;
  readonly open: (path: string) => Store;
  /** Fewer scribes for a slow subject (an fsync per commit), so the run stays short. */
  readonly share: number;
}

const subjects: Subject[] = [
  { name: 'MemoryStore', open: () => new MemoryStore(), share: 1 },
  { name: 'SqliteStore (synchronous normal)', open: (path) => new SqliteStore(path), share: 1 },
  { name: 'SqliteStore (synchronous full)', open: (path) => new SqliteStore(path, { synchronous: 'full' }), share: 0.1 },
];

/** Appends `count` scribes in commits of `batch`; returns scribes per second. */
function run(store: Store, count: number, batch: number): number {
  store.createTree({ name: 'bench', epoch: 'e', rootType: 'Board', snapshot: { seq: 0, types: ['Board'], objects: [[0, 0, -1, ['']]] }, ops: [], origins: [], nextId: 1 });
  store.commit();
  const t0 = performance.now();
  for (let seq = 1; seq <= count; seq += batch) {
    const ops: Op[] = [];
    for (let i = 0; i < batch; i++) ops.push([OP.set, (seq + i) % 100, 0, `value ${seq + i}`]);
    store.append('bench', seq, ops, 'client-0123456789', 101);
    store.commit();
  }
  return count / ((performance.now() - t0) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'treesync-bench-store-'));
try {
  const floor = new Map<number, number>();
  const rows: string[] = [];
  for (const subject of subjects) {
    const cells = BATCHES.map((batch) => {
      const count = Math.max(batch, Math.round((total * subject.share) / batch) * batch);
      const store = subject.open(join(dir, `${subject.name.replace(/\W+/g, '-')}-${batch}.db`));
      const rate = run(store, count, batch);
      store.close();
      if (subject.name === 'MemoryStore') floor.set(batch, rate);
      const ratio = rate / (floor.get(batch) ?? rate);
      return `${Math.round(rate).toLocaleString('en')} (${ratio < 0.01 ? ratio.toFixed(4) : ratio.toFixed(2)}×)`;
    });
    rows.push(`| ${subject.name} | ${Math.round(total * subject.share).toLocaleString('en')} | ${cells.join(' | ')} |`);
  }
  console.log(`Scribes appended per second, committed in batches (ratio to MemoryStore at the same batch), Node ${process.version}\n`);
  console.log(`| store | scribes | ${BATCHES.map((b) => `batch ${b}`).join(' | ')} |`);
  console.log(`|---|---|${BATCHES.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(row);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
