/**
 * `npm run bench:tree`: what one mutation costs inside a Tree, in process, with no clients: CPU
 * time and bytes allocated per `set` of a number on a 1,000-object tree, for a lone operation (a
 * setter called outside any transaction, which keeps no undo) against the same set inside
 * `transact` (the general path: a closure, an undo closure and an inverse op per operation),
 * measured in the same run as its baseline. Rounds alternate between the two; the median stands.
 * Prints the table and writes it to bench/results/tree.md. Arguments (or TREE_SETS, TREE_ROUNDS):
 * sets per round (default 200,000) and rounds (default 5).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { TypeRegistry } from '../server/registry.js';
import { Tree } from '../server/tree.js';
import { initialObject, median } from './peers/model.js';
import { PeerObject, PeerRoot } from './peers/treesync-model.js';

const [setsArg, roundsArg] = process.argv.slice(2);
const SETS = Number(setsArg ?? process.env['TREE_SETS'] ?? 200_000);
const ROUNDS = Number(roundsArg ?? process.env['TREE_ROUNDS'] ?? 5);
const RESULTS = new URL('results/', import.meta.url);
const OBJECTS = 1_000;

const tree = new Tree('bench', 1, new TypeRegistry([PeerRoot, PeerObject]), PeerRoot);
const objects = tree.transact(() => Array.from({ length: OBJECTS }, (_, i) => tree.root.create(PeerObject, initialObject(i))));
let k = 0;

/** The two paths: each makes `n` sets of `value`, on object k % M, to a fresh number. */
const paths = {
  lone: (n: number): void => {
    for (let i = 0; i < n; i++, k++) objects[k % OBJECTS]?.attrs.value.set(k + 0.5);
  },
  'in transact': (n: number): void => {
    for (let i = 0; i < n; i++, k++) {
      const object = objects[k % OBJECTS];
      const value = k + 0.5;
      tree.transact(() => object?.attrs.value.set(value));
    }
  },
} as const;
type Path = keyof typeof paths;

/** CPU µs per set over one round of `n` sets. */
function cpuRound(path: Path, n: number): number {
  const before = process.cpuUsage();
  paths[path](n);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

/** Bytes allocated per set over `n` sets, by a sampling heap profile that counts what the young generation collected too. */
async function bytesPerSet(session: Session, path: Path, n: number): Promise<number> {
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  paths[path](n);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  let bytes = 0;
  const walk = (node: { selfSize: number; children: readonly unknown[] }): void => {
    bytes += node.selfSize;
    for (const child of node.children) walk(child as typeof node);
  };
  walk(profile.head);
  return bytes / n;
}

async function main(): Promise<void> {
  for (const path of Object.keys(paths) as Path[]) cpuRound(path, Math.floor(SETS / 4)); // warm-up: both paths optimised
  const cpu: Record<Path, number[]> = { lone: [], 'in transact': [] };
  for (let r = 0; r < ROUNDS; r++) for (const path of Object.keys(paths) as Path[]) cpu[path].push(cpuRound(path, SETS));
  const session = new Session();
  session.connect();
  const bytes: Record<Path, number> = { lone: 0, 'in transact': 0 };
  for (const path of Object.keys(paths) as Path[]) bytes[path] = await bytesPerSet(session, path, Math.floor(SETS / 4));
  session.disconnect();
  const base = { us: median(cpu['in transact']), bytes: bytes['in transact'] };
  const rows = (Object.keys(paths) as Path[]).map((path) => {
    const us = median(cpu[path]);
    return `| ${path} | ${us.toFixed(3)} | ${(us / base.us).toFixed(2)}× | ${bytes[path].toFixed(0)} | ${(bytes[path] / base.bytes).toFixed(2)}× |`;
  });
  const md = [
      `# One set inside a Tree (\`npm run bench:tree\`)`,
      '',
      `${new Date().toISOString()} · Node ${process.version} · ${OBJECTS} objects · ${ROUNDS} rounds of ${SETS} sets per path, alternating; CPU the median round; bytes from a sampling heap profile`,
      '',
      '| path | CPU µs/set | ×in transact | bytes allocated/set | ×in transact |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n');
  process.stdout.write(md);
  // A smoke run (the test's) does not replace the results.
  if (SETS >= 100_000) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(new URL('tree.md', RESULTS), md);
  }
}

void main();
