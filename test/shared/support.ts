/** Test support for the shared layer: coded-error assertions and fast-check parameters. */
import type { Parameters } from 'fast-check';
import { expect } from 'vitest';
import { SyncError, type ErrorCode } from '../../shared/errors.js';

/** Runs `fn` and returns what it threw; fails the test when it returns normally. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return expect.unreachable('expected a throw');
}

/** Asserts that `fn` throws a SyncError with `code` (and `ref`, when given), and returns it. */
export function expectSyncError(fn: () => unknown, code: ErrorCode, ref?: string | number): SyncError {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(SyncError);
  const err = e as SyncError;
  expect(ref === undefined ? { code: err.code } : { code: err.code, ref: err.ref }).toEqual(ref === undefined ? { code } : { code, ref });
  return err;
}

/** Asserts that a parse result is a SyncError with `code` (and `ref`, when given). */
export function expectErrorResult(result: unknown, code: ErrorCode, ref?: string | number): SyncError {
  expect(result).toBeInstanceOf(SyncError);
  const err = result as SyncError;
  expect(ref === undefined ? { code: err.code } : { code: err.code, ref: err.ref }).toEqual(ref === undefined ? { code } : { code, ref });
  return err;
}

const seedText = process.env['TREESYNC_SEED'];

/**
 * fast-check parameters for property tests: ~500 runs, and the seed from TREESYNC_SEED when set,
 * so a failure printed as `seed: 123` replays with `TREESYNC_SEED=123 npx vitest run ...`.
 */
export function propertyParams<T>(numRuns = 500): Parameters<T> {
  return seedText === undefined || seedText === '' ? { numRuns } : { numRuns, seed: Number(seedText) };
}
