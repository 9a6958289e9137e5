/** Helpers for the rule tests: hostile ops, INVALID assertions and checked sets. */
import { expect } from 'vitest';
import { ErrorCode, type SyncError } from '../../shared/errors.js';
import { OP, checkTopicOp, type TopicOp } from '../../shared/ops.js';
import type { AttrSpec } from '../../shared/schema.js';
import { expectSyncError } from './support.js';

/** An op built at runtime from hostile or generated data. */
export const raw = (...op: unknown[]): TopicOp => op as unknown as TopicOp;

/** Asserts an INVALID SyncError naming `attr`, with exactly this message. */
export function expectInvalid(fn: () => unknown, attr: string, message: string): SyncError {
  const e = expectSyncError(fn, ErrorCode.INVALID, attr);
  expect(e.message).toBe(message);
  return e;
}

export const set = (s: AttrSpec, value: unknown, current: unknown = s.default): TopicOp => checkTopicOp(s, current, raw(OP.set, 1, 0, value), 'a');
