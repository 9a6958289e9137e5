import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OP, type Op } from '../../shared/ops.js';
import { ScribeLog } from '../../server/scribe-log.js';
import { propertyParams } from './support.js';

const op = (n: number): Op => [OP.set, 0, 0, n];

/** A log holding seqs 1..count, one op per append, origins alternating. */
function filled(window: number, count: number): ScribeLog {
  const log = new ScribeLog(window);
  for (let s = 1; s <= count; s++) log.append(s, [op(s)], s % 2 === 0 ? 'a' : 'server');
  return log;
}

describe('ScribeLog.since()', () => {
  it('returns the scribes after `since` with their origins', () => {
    const log = new ScribeLog(100);
    log.append(1, [op(1), op(2)], 'server');
    log.append(3, [op(3)], 'bob');
    expect(log.since(0, 3)).toEqual({ ops: [op(1), op(2), op(3)], origins: ['server', 'server', 'bob'] });
    expect(log.since(2, 3)).toEqual({ ops: [op(3)], origins: ['bob'] });
  });

  it('returns nothing (not undefined) when `since` is at or past the last seq', () => {
    const log = filled(2, 10);
    expect(log.since(10, 10)).toEqual({ ops: [], origins: [] });
    expect(log.since(11, 10)).toEqual({ ops: [], origins: [] });
    expect(new ScribeLog(5).since(0, 0)).toEqual({ ops: [], origins: [] });
  });

  it('returns undefined when the window no longer holds every scribe after `since`', () => {
    const log = filled(2, 5);
    expect(log.since(2, 5)).toBeUndefined();
    expect(log.since(3, 5)).toEqual({ ops: [op(4), op(5)], origins: ['a', 'server'] });
  });

  it('returns undefined for an empty log that should hold scribes', () => {
    expect(new ScribeLog(10).since(0, 3)).toBeUndefined();
    expect(filled(0, 3).since(2, 3)).toBeUndefined();
  });

  it('returns undefined, not a short answer, when `last` is past the last scribe it holds', () => {
    const log = filled(5, 1);
    expect(log.since(0, 3)).toBeUndefined();
    expect(log.since(1, 3)).toBeUndefined();
    expect(log.since(0, 1)).toEqual({ ops: [op(1)], origins: ['server'] });
  });

  it('returns the scribes up to `last`, not past it', () => {
    expect(filled(10, 6).since(2, 4)).toEqual({ ops: [op(3), op(4)], origins: ['server', 'a'] });
    // The same across the ring's wrap.
    expect(filled(4, 11).since(8, 10)).toEqual({ ops: [op(9), op(10)], origins: ['server', 'a'] });
  });

  it.each([2.5, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a window of %s', (window) => {
    expect(() => new ScribeLog(window)).toThrow(RangeError);
  });

  it('starts at the first appended seq (a log made after the tree had scribes)', () => {
    const log = new ScribeLog(10);
    log.append(41, [op(41)], 'server');
    expect(log.since(40, 41)).toEqual({ ops: [op(41)], origins: ['server'] });
    expect(log.since(39, 41)).toBeUndefined();
  });

  it('property: always holds the last `window` scribes, and what it returns is exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 60 }), fc.nat(300), (window, sizes, pick) => {
        const log = new ScribeLog(window);
        let last = 0;
        for (const size of sizes) {
          log.append(last + 1, Array.from({ length: size }, (_, i) => op(last + 1 + i)), `c${String(size)}`);
          last += size;
        }
        const since = last === 0 ? 0 : pick % (last + 1);
        const got = log.since(since, last);
        if (last - since <= window) expect(got).toBeDefined();
        if (got !== undefined) {
          expect(got.ops).toEqual(Array.from({ length: last - since }, (_, i) => op(since + 1 + i)));
          expect(got.origins).toHaveLength(got.ops.length);
        }
      }),
      propertyParams(),
    );
  });
});
