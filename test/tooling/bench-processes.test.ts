/**
 * The bench's protocol-level clients speak the protocol the server speaks: the single-set and join
 * measurements of `npm run bench` and the load and catch-up processes of `npm run bench:durability`
 * run here against their real servers, briefly, so that a protocol change that breaks one of them
 * fails `npm test`, not the next benchmark run (after protocol 2 four bench scripts still sent
 * `v: 1`, and a handshake with another version is refused before anything is measured). The
 * figures are not checked, only that each measurement completes with the whole tree and the
 * outcome it exists to measure. The generator floor of `npm run bench:peers` and `npm run bench:tree`
 * run here too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATCHUP_OBJECTS, CATCHUP_UPDATES } from '../../bench/lib/durability-model.js';
import { catchup, load } from '../../bench/lib/durability-run.js';
import { joins } from '../../bench/lib/join-run.js';
import { JOIN_OBJECTS } from '../../bench/lib/model.js';
import { runPinned } from '../../bench/lib/child.js';
import { singleSet } from '../../bench/lib/single-set.js';

const dir = mkdtempSync(join(tmpdir(), 'treesync-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench: the single-set measurement', () => {
  it('measure one unbatched set after a handshake the server accepts', async () => {
    const { treesync, floor, seq, object } = await singleSet(7);
    expect(treesync.text).toBe(`42["b",1,${String(seq + 1)},[[0,${String(object)},0,7]]]`);
    expect(treesync.bytes).toBe(treesync.text.length);
    expect(floor.text).toBe(`42["m",[${String(object)},7]]`);
  }, 15_000);
});

describe('npm run bench:peers: the generator floor', () => {
  it('runs the mutation generator alone, pinned, and reports its CPU per mutation', () => {
    const out = runPinned('lib/generator-floor.ts', ['1000', '200', '0.5'], 0, 10_000);
    expect(out).toBeDefined();
    const floor = JSON.parse(out ?? '') as { cpuUsPerMutation: number; systemUsPerMutation: number; mutations: number };
    // Half a second at 1,000/s: the generator is drift-free, so about 500 (the window's edges move it a little).
    expect(floor.mutations).toBeGreaterThan(400);
    expect(floor.mutations).toBeLessThan(600);
    expect(floor.cpuUsPerMutation).toBeGreaterThan(0);
  }, 15_000);
});

describe('npm run bench:tree', () => {
  it('measures both paths of a set, each against the transact baseline', () => {
    const out = runPinned('tree.ts', ['2000', '1'], 0, 10_000) ?? '';
    const bytes = (path: string): number => {
      const row = out.split('\n').find((line) => line.startsWith(`| ${path} |`));
      expect(row, path).toBeDefined();
      const [us, , allocated] = (row ?? '').split('|').slice(2, 5).map((cell) => Number.parseFloat(cell));
      expect(us, path).toBeGreaterThan(0);
      return allocated ?? Number.NaN;
    };
    // Allocation, not time: a lone set keeps no undo closure or inverse op (about 430 against 880
    // bytes), far outside the sampling profile's noise; it would be level if the fast path were lost.
    expect(bytes('lone')).toBeLessThan(bytes('in transact') * 0.75);
  }, 15_000);
});

describe('npm run bench: the join processes', () => {
  it('time one join of the whole tree on each path: the socket.io floor, the treesync wire and SyncClient', async () => {
    const results = await joins(1);
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.note, r.name).toBeUndefined();
      expect(r.ms, r.name).toHaveLength(1);
      // The treesync paths count the root too.
      expect(r.objects, r.name).toBeGreaterThanOrEqual(JOIN_OBJECTS);
    }
  }, 90_000);
});

describe('npm run bench:durability: its processes', () => {
  it('acked mutations: clients get acks from a SQLite-backed server, and every client sees the scribes', async () => {
    const run = await load(dir, 'sqlite', 2, 2, { warmup: 0.3, seconds: 0.7 });
    expect(run.clients.acks).toBeGreaterThan(0);
    expect(run.clients.rejects).toBe(0);
    expect(run.server.commits).toBeGreaterThan(0);
    expect(run.server.groupCommits).toBeGreaterThan(0);
    expect(run.clients.scribes).toBeGreaterThan(0);
  }, 60_000);

  it('catch-up from the store (log window 50): the missed scribes, to the server seq, in fewer bytes than a full rejoin', async () => {
    const run = await catchup(dir, 'test', 50, 1);
    expect(run.rounds).toHaveLength(1);
    const [round] = run.rounds;
    expect(round?.initial.via).toBe('snapshot');
    expect(round?.initial.items).toBeGreaterThanOrEqual(CATCHUP_OBJECTS);
    expect(round?.catchup.via).toBe('scribes');
    expect(round?.catchup.items).toBeGreaterThanOrEqual(CATCHUP_UPDATES);
    expect(round?.full.via).toBe('snapshot');
    expect(round?.catchup.bytes).toBeLessThan((round?.full.bytes ?? 0) / 10);
  }, 90_000);
});
