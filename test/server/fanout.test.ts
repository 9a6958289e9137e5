import { afterEach, describe, expect, it } from 'vitest';
import { OP, type Op } from '../../shared/ops.js';
import type { BatchArgs } from '../../shared/protocol.js';
import { Fanout, type FlushOptions } from '../../server/fanout.js';
import { A, Item, newTree } from './support.js';

/** One op per seq, recognizable by its value. */
const op = (n: number): Op => [OP.set, 1, 0, n];

/** Resolves after the current event-loop turn (after any setImmediate queued before it). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Simulates the cost of encoding and writing a batch.
  }
}

const open: Fanout[] = [];
afterEach(() => {
  for (const f of open.splice(0)) f.close();
});

/** A fanout whose sends are recorded with the time they started; `refuse` makes sends fail (a store down). */
function recorder(options: FlushOptions, cost = 0, refuse = { now: false }) {
  const batches: { args: BatchArgs; at: number }[] = [];
  const fanout = new Fanout(7, (args) => {
    if (refuse.now) return false;
    batches.push({ args: structuredClone(args), at: performance.now() });
    if (cost > 0) busyWait(cost);
    return true;
  }, options);
  open.push(fanout);
  return { fanout, batches, sent: () => batches.map((b) => b.args) };
}

/** Every scribe of the batches, as [seq, op], checking that each batch's seqs continue the last one's. */
function delivered(batches: readonly BatchArgs[]): [number, Op][] {
  const out: [number, Op][] = [];
  for (const [ref, firstSeq, ops] of batches) {
    expect(ref).toBe(7);
    if (out.length > 0) expect(firstSeq).toBe((out[out.length - 1]?.[0] ?? 0) + 1);
    ops.forEach((o, i) => out.push([firstSeq + i, o]));
  }
  return out;
}

describe('Fanout', () => {
  describe("mode 'immediate'", () => {
    it('sends every commit as it happens', () => {
      const { fanout, sent } = recorder({ mode: 'immediate' });
      fanout.push(1, [op(1)], 'server');
      expect(sent()).toEqual([[7, 1, [op(1)]]]);
      fanout.push(2, [op(2), op(3)], 'alice');
      expect(sent()).toEqual([
        [7, 1, [op(1)]],
        [7, 2, [op(2), op(3)], [[2, 'alice']]],
      ]);
      expect(fanout.pending).toBe(0);
    });

    it('sends a tree transaction as one batch', () => {
      const tree = newTree();
      const { fanout, sent } = recorder({ mode: 'immediate' });
      tree.on('commit', (firstSeq, ops, origin) => fanout.push(firstSeq, ops, origin));
      tree.transact(() => {
        const item = tree.root.create(Item);
        item.attrs.count.add(2);
        expect(sent()).toEqual([]);
      }, 'bob');
      expect(sent()).toEqual([[7, 1, [[OP.create, 1, 2, 0, 0, expect.any(Object)], [OP.add, 1, A.count, 2]], [[2, 'bob']]]]);
    });
  });

  describe("mode 'tick'", () => {
    it('coalesces the commits of one turn into one batch with run-length origins', async () => {
      const tree = newTree();
      const { fanout, sent } = recorder({ mode: 'tick' });
      tree.on('commit', (firstSeq, ops, origin) => fanout.push(firstSeq, ops, origin));
      const item = tree.root.create(Item);
      tree.apply([OP.add, 1, A.count, 1], 'alice');
      tree.apply([OP.add, 1, A.count, 2], 'alice');
      tree.transact(() => {
        item.attrs.count.add(3);
        item.attrs.count.add(4);
      }, 'bob');
      item.attrs.count.add(5);
      expect(sent()).toEqual([]);
      expect(fanout.pending).toBe(6);
      await nextTurn();
      const batches = sent();
      expect(batches).toHaveLength(1);
      expect(batches[0]?.[1]).toBe(1);
      expect(batches[0]?.[2]).toHaveLength(6);
      expect(batches[0]?.[3]).toEqual([
        [1, 'server'],
        [2, 'alice'],
        [2, 'bob'],
        [1, 'server'],
      ]);
      expect(delivered(batches).map(([seq]) => seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(fanout.pending).toBe(0);
    });

    it('omits origins when every scribe came from the server', async () => {
      const { fanout, sent } = recorder({ mode: 'tick' });
      fanout.push(1, [op(1)], 'server');
      fanout.push(2, [op(2), op(3)], 'server');
      await nextTurn();
      expect(sent()).toEqual([[7, 1, [op(1), op(2), op(3)]]]);
      expect(sent()[0]).toHaveLength(3);
    });

    it('starts a new batch on the next turn, continuing the seqs', async () => {
      const { fanout, sent } = recorder({ mode: 'tick' });
      fanout.push(1, [op(1)], 'a');
      await nextTurn();
      fanout.push(2, [op(2)], 'server');
      fanout.push(3, [op(3)], 'server');
      await nextTurn();
      expect(sent()).toEqual([
        [7, 1, [op(1)], [[1, 'a']]],
        [7, 2, [op(2), op(3)]],
      ]);
    });
  });

  describe("mode 'adaptive'", () => {
    it('is the default', async () => {
      const { fanout, sent } = recorder({});
      fanout.push(1, [op(1)], 'server');
      expect(sent()).toEqual([]);
      await nextTurn();
      expect(sent()).toEqual([[7, 1, [op(1)]]]);
    });

    it('sends at the end of the turn when the line is idle', async () => {
      const { fanout, sent } = recorder({ mode: 'adaptive', maxDelayMs: 50 });
      fanout.push(1, [op(1)], 'server');
      fanout.push(2, [op(2)], 'server');
      expect(sent()).toEqual([]);
      await nextTurn();
      expect(sent()).toEqual([[7, 1, [op(1), op(2)]]]);
      await sleep(5);
      fanout.push(3, [op(3)], 'x');
      await nextTurn();
      expect(sent()).toEqual([
        [7, 1, [op(1), op(2)]],
        [7, 3, [op(3)], [[1, 'x']]],
      ]);
    });

    it('coalesces when the previous flushes were costly, delivers every scribe in order, and waits at most maxDelayMs', async () => {
      const maxDelayMs = 10;
      const { fanout, batches } = recorder({ mode: 'adaptive', maxDelayMs, duty: 0.15 }, 3);
      let seq = 0;
      // Warm the cost estimate up with a few costly flushes.
      for (let i = 0; i < 4; i++) {
        fanout.push(++seq, [op(seq)], 'server');
        fanout.flush();
      }
      const warm = batches.length;
      const pushedAt = new Map<number, number>();
      const commits = 40;
      for (let i = 0; i < commits; i++) {
        const first = seq + 1;
        const ops = i % 3 === 0 ? [op(++seq), op(++seq)] : [op(++seq)];
        pushedAt.set(first, performance.now());
        fanout.push(first, ops, i % 2 === 0 ? 'server' : 'alice');
        await (i % 4 === 0 ? sleep(1) : nextTurn());
      }
      const deadline = performance.now() + 2_000;
      while (fanout.pending > 0 && performance.now() < deadline) await sleep(5);
      expect(fanout.pending).toBe(0);

      const later = batches.slice(warm);
      expect(later.length).toBeLessThan(commits);
      const scribes = delivered(batches.map((b) => b.args));
      expect(scribes.map(([s]) => s)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
      expect(scribes.every(([s, o]) => o[3] === s)).toBe(true);
      // No commit is split across batches, and none waited far beyond maxDelayMs (a generous margin: timers are late under load).
      for (const { args, at } of later) {
        for (let i = 0; i < args[2].length; i++) {
          const pushed = pushedAt.get(args[1] + i);
          if (pushed !== undefined) expect(at - pushed).toBeLessThan(maxDelayMs + 100);
        }
      }
      const firsts = new Set(pushedAt.keys());
      for (const { args } of later) expect(firsts.has(args[1])).toBe(true);
    });

    it('sends at the end of the turn again once the line has been idle for a while', async () => {
      // duty 0.01: after a costly flush the pause is maxDelayMs.
      const { fanout, batches } = recorder({ mode: 'adaptive', maxDelayMs: 10, duty: 0.01 }, 3);
      for (let i = 1; i <= 4; i++) {
        fanout.push(i, [op(i)], 'server');
        fanout.flush();
      }
      await sleep(40);
      fanout.push(5, [op(5)], 'server');
      await nextTurn();
      expect(batches.map((b) => b.args[1])).toEqual([1, 2, 3, 4, 5]);
    });

    it('holds run-length origins across coalesced commits', async () => {
      // duty 0.01 and a long maxDelayMs: the pause after the warm-up spans the whole test.
      const { fanout, sent } = recorder({ mode: 'adaptive', maxDelayMs: 5_000, duty: 0.01 }, 3);
      for (let i = 1; i <= 4; i++) {
        fanout.push(i, [op(i)], 'server');
        fanout.flush();
      }
      fanout.push(5, [op(5)], 'a');
      await nextTurn();
      fanout.push(6, [op(6), op(7)], 'a');
      await nextTurn();
      fanout.push(8, [op(8)], 'server');
      fanout.close();
      const last = sent().slice(4);
      expect(last).toEqual([[7, 5, [op(5), op(6), op(7), op(8)], [[3, 'a'], [1, 'server']]]]);
    });
  });

  describe('close()', () => {
    it.each(['adaptive', 'tick'] as const)('flushes what is pending in mode %s, and no timer sends again', async (mode) => {
      const { fanout, sent } = recorder({ mode, maxDelayMs: 5 });
      fanout.push(1, [op(1)], 'server');
      fanout.push(2, [op(2)], 'b');
      fanout.close();
      expect(sent()).toEqual([[7, 1, [op(1), op(2)], [[1, 'server'], [1, 'b']]]]);
      expect(fanout.pending).toBe(0);
      await sleep(20);
      expect(sent()).toHaveLength(1);
    });

    it('sends nothing when nothing is pending', () => {
      const { fanout, sent } = recorder({ mode: 'tick' });
      fanout.close();
      fanout.flush();
      expect(sent()).toEqual([]);
    });
  });

  it('flush() sends pending scribes at once and cancels the scheduled send', async () => {
    const { fanout, sent } = recorder({ mode: 'tick' });
    fanout.push(1, [op(1)], 'server');
    fanout.flush();
    expect(sent()).toEqual([[7, 1, [op(1)]]]);
    await nextTurn();
    expect(sent()).toHaveLength(1);
  });
});

describe('Fanout with a send that refuses (the store is not durable)', () => {
  it('keeps the batch, adds later commits to it, and sends it all, in order, once sending works', async () => {
    const refuse = { now: true };
    const { fanout, sent } = recorder({ mode: 'immediate' }, 0, refuse);
    fanout.push(1, [[OP.set, 1, 0, 'a']], 'server');
    fanout.push(2, [[OP.set, 1, 0, 'b']], 'c1');
    expect(sent()).toEqual([]);
    expect(fanout.pending).toBe(2);
    refuse.now = false;
    await expect.poll(() => sent().length, { timeout: 2_000 }).toBe(1);
    expect(sent()).toEqual([[7, 1, [[OP.set, 1, 0, 'a'], [OP.set, 1, 0, 'b']], [[1, 'server'], [1, 'c1']]]]);
    expect(fanout.pending).toBe(0);
  });
});
