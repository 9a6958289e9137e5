/**
 * Reading what the server sends: its frames are `unknown` until read here; junk becomes
 * undefined, a SyncError, or defaults, never a half-typed value.
 */
import { DEFAULT_LIMITS, ErrorCode, SyncError, isErrorCode, type Limits } from '../shared/index.js';
import type { Ack } from './types.js';

/** Whether a wire value is a safe integer. */
export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Parses an `ack`; undefined for junk. */
export function parseAck(raw: unknown): Ack | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { opId, seq, ids } = raw as Record<string, unknown>;
  if (!isInt(opId) || !isInt(seq)) return undefined;
  if (ids === undefined || ids === null) return { opId, seq, ids: [] };
  return Array.isArray(ids) && ids.every(isInt) ? { opId, seq, ids: ids } : undefined;
}

/** Turns a wire error (`reject`, `error`) into a SyncError; undefined for junk. */
export function parseWireError(raw: unknown): SyncError | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { code, message, ref } = raw as Record<string, unknown>;
  if (typeof code !== 'string') return undefined;
  const text = typeof message === 'string' ? message : code;
  const options = typeof ref === 'string' || typeof ref === 'number' ? { ref } : {};
  return isErrorCode(code) ? new SyncError(code, text, options) : new SyncError(ErrorCode.INTERNAL, `${code}: ${text}`, options);
}

function readLimits(raw: unknown): Limits {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const pick = (key: keyof Limits): number => (isInt(r[key]) && (r[key]) > 0 ? (r[key]) : DEFAULT_LIMITS[key]);
  const out = {} as Record<keyof Limits, number>;
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) out[key] = pick(key);
  return out;
}

/** A `welcome` as the client reads it; `v` and `types` are checked by their users. */
export interface Welcome {
  readonly v: unknown;
  readonly types: unknown;
  /** The server's limits; a missing or junk one is the default. */
  readonly limits: Limits;
  readonly lastOpId: number;
  /** False when the server has no record of this client id. */
  readonly known: boolean;
  /** The id the server calls this client, when it says. */
  readonly clientId: string | undefined;
}

/** Reads a `welcome`, with defaults for what is missing or junk. */
export function parseWelcome(raw: unknown): Welcome {
  const w = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    v: w['v'],
    types: w['types'],
    limits: readLimits(w['limits']),
    lastOpId: isInt(w['lastOpId']) ? w['lastOpId'] : 0,
    // Absent (an older server): assume it knows this client.
    known: w['known'] !== false,
    clientId: typeof w['clientId'] === 'string' ? w['clientId'] : undefined,
  };
}
