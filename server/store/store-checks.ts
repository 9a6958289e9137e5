/**
 * The rules both stores enforce on their callers, so that MemoryStore and SqliteStore refuse the
 * same mistakes with the same errors: a store never writes a history with a gap in it.
 */
import { ErrorCode, SyncError, isErrorCode, type AckMessage, type RejectMessage } from '../../shared/index.js';
import type { StoredAnswer, StoredClient, StoredTree } from './store.js';

/** Where a store's tree stands: its snapshot, and the range of scribes it holds. */
export interface TreeMark {
  /** The snapshot's seq. */
  snapSeq: number;
  /** The seq of the oldest scribe held (`last + 1` when none is). */
  first: number;
  /** The seq of the newest scribe held, or the snapshot's seq when none is newer. */
  last: number;
  nextId: number;
}

/** An INTERNAL SyncError: every store failure is a bug or a damaged file, never the client's fault. */
export function storeError(message: string, ref?: string, cause?: unknown): SyncError {
  return new SyncError(ErrorCode.INTERNAL, message, { ref, cause });
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function checkSeq(value: number, what: string, tree: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw storeError(`tree ${JSON.stringify(tree)}: ${what} ${String(value)} is not a non-negative integer`, tree);
}

/** Checks a tree given to createTree and returns its mark; throws INTERNAL when it does not hang together. */
export function markOfNewTree(tree: StoredTree, exists: boolean): TreeMark {
  const name = tree.name;
  if (typeof name !== 'string') throw storeError('a tree name must be a string');
  if (exists) throw storeError(`tree ${JSON.stringify(name)} is already stored`, name);
  // SQLite stores text as UTF-8, where a lone surrogate becomes U+FFFD: the tree would come back renamed.
  for (const [what, text] of [['name', name], ['epoch', tree.epoch], ['root type', tree.rootType]] as const) {
    if (LONE_SURROGATE.test(text)) throw storeError(`tree ${JSON.stringify(name)}: its ${what} is not well-formed Unicode (a lone surrogate)`, name);
  }
  checkSeq(tree.snapshot.seq, 'snapshot seq', name);
  checkSeq(tree.nextId, 'nextId', name);
  if (tree.ops.length !== tree.origins.length) {
    throw storeError(`tree ${JSON.stringify(name)}: ${tree.ops.length} ops but ${tree.origins.length} origins`, name);
  }
  const snapSeq = tree.snapshot.seq;
  return { snapSeq, first: snapSeq + 1, last: snapSeq + tree.ops.length, nextId: tree.nextId };
}

/** Checks that an append continues the tree's history without a gap or an overlap. */
export function checkAppend(tree: string, mark: TreeMark | undefined, firstSeq: number, nextId: number): TreeMark {
  if (mark === undefined) throw storeError(`append to tree ${JSON.stringify(tree)}, which is not stored`, tree);
  if (firstSeq !== mark.last + 1) {
    throw storeError(`tree ${JSON.stringify(tree)}: append at seq ${String(firstSeq)}, but the next seq is ${mark.last + 1}`, tree);
  }
  checkSeq(nextId, 'nextId', tree);
  return mark;
}

/**
 * Checks a snapshot and moves the mark: the snapshot may not go back in time nor past the last
 * scribe. Returns the highest seq whose scribe is dropped (0 or less: none).
 */
export function applySnapshotMark(tree: string, mark: TreeMark | undefined, seq: number, nextId: number, keep: number): number {
  if (mark === undefined) throw storeError(`snapshot of tree ${JSON.stringify(tree)}, which is not stored`, tree);
  checkSeq(seq, 'snapshot seq', tree);
  checkSeq(nextId, 'nextId', tree);
  checkSeq(keep, 'keep', tree);
  if (seq < mark.snapSeq || seq > mark.last) {
    throw storeError(`tree ${JSON.stringify(tree)}: snapshot at seq ${seq} outside ${mark.snapSeq}..${mark.last}`, tree);
  }
  const dropThrough = seq - keep;
  mark.snapSeq = seq;
  mark.first = Math.max(mark.first, dropThrough + 1);
  mark.nextId = nextId;
  return dropThrough;
}

/**
 * Whether a store holding scribes `mark.first..mark.last` can answer `since(since)`: 'none' when
 * there is nothing after it, 'all' when it holds every scribe after it, 'gone' otherwise.
 */
export function sinceCoverage(mark: TreeMark | undefined, since: number): 'none' | 'all' | 'gone' {
  if (mark === undefined || !Number.isSafeInteger(since) || since < 0) return 'gone';
  if (since >= mark.last) return 'none';
  return mark.first <= since + 1 ? 'all' : 'gone';
}

/** A client record as both stores hold it: lastOpId, the JSON of its seqs and answers, seenAt. */
export type ClientRow = [lastOpId: number, seqs: string, answers: string, seenAt: number];

/** Checks a record given to saveClient and serializes it; throws INTERNAL when it does not hang together. */
export function clientRow(clientId: string, record: StoredClient): ClientRow {
  const id = JSON.stringify(clientId);
  if (!Number.isSafeInteger(record.lastOpId)) throw storeError(`client ${id}: lastOpId ${String(record.lastOpId)} is not an integer`, clientId);
  if (!Number.isSafeInteger(record.seenAt)) throw storeError(`client ${id}: seenAt ${String(record.seenAt)} is not an integer`, clientId);
  return [record.lastOpId, JSON.stringify(record.seqs), JSON.stringify(record.answers), record.seenAt];
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The seqs of a stored record, copied; a string saying what is wrong if they do not read. */
function readSeqs(json: string): StoredClient['seqs'] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return `its seqs are not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!Array.isArray(parsed)) return 'its seqs are not a list';
  const seqs: [string, number][] = [];
  for (const entry of parsed as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !isCount(entry[1])) return 'its seqs hold an entry that is not [tree, seq]';
    seqs.push([entry[0], entry[1]]);
  }
  return seqs;
}

/** One stored answer, copied field by field (nothing else of the stored object is kept); undefined if malformed. */
function readAnswer(x: unknown): StoredAnswer | undefined {
  if (!Array.isArray(x) || x.length !== 2 || !isRecord(x[1])) return undefined;
  const [kind, m] = x as [unknown, Record<string, unknown>];
  if (!isCount(m['opId'])) return undefined;
  if (kind === 'ack') {
    if (!isCount(m['seq'])) return undefined;
    const ids = m['ids'];
    if (ids === undefined) return ['ack', { opId: m['opId'], seq: m['seq'] } satisfies AckMessage];
    if (!Array.isArray(ids) || !ids.every(isCount)) return undefined;
    return ['ack', { opId: m['opId'], seq: m['seq'], ids: [...ids] } satisfies AckMessage];
  }
  if (kind !== 'reject') return undefined;
  const { code, message, ref } = m;
  if (typeof code !== 'string' || !isErrorCode(code) || typeof message !== 'string') return undefined;
  if (ref === undefined) return ['reject', { opId: m['opId'], code, message } satisfies RejectMessage];
  if (typeof ref !== 'string' && !(typeof ref === 'number' && Number.isFinite(ref))) return undefined;
  return ['reject', { opId: m['opId'], code, message, ref } satisfies RejectMessage];
}

/** The answers of a stored record, copied; a string saying what is wrong if they do not read. */
function readAnswers(json: string): StoredClient['answers'] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return `its answers are not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!Array.isArray(parsed)) return 'its answers are not a list';
  const answers: StoredAnswer[] = [];
  for (const entry of parsed as unknown[]) {
    const answer = readAnswer(entry);
    if (answer === undefined) return 'its answers hold one that is not an ack or a reject';
    const previous = answers[answers.length - 1];
    if (previous !== undefined && previous[1].opId >= answer[1].opId) return 'its answers are not in increasing opId order';
    answers.push(answer);
  }
  return answers;
}

/**
 * Reads a stored client record. Never throws: a part that does not read (seqs, answers) is left
 * out, and an unusable lastOpId clamped, and `damaged` describes it. Leaving answers out is safe: a resend at or below lastOpId is
 * still never applied again, it gets OUTCOME_UNKNOWN instead of its answer.
 */
export function readClientRow(where: string, clientId: string, [lastOpId, seqsJson, answersJson, seenAt]: ClientRow): StoredClient {
  const seqs = readSeqs(seqsJson);
  const answers = readAnswers(answersJson);
  const problems = [seqs, answers].filter((x): x is string => typeof x === 'string');
  // Never written by a store (opIds are safe integers), but a file edited by hand may hold one: a
  // lastOpId too high to use stays as high as can be (nothing at or below it is applied again).
  if (!isCount(lastOpId)) problems.unshift(`its lastOpId ${String(lastOpId)} is not a safe non-negative integer`);
  const record = {
    lastOpId: isCount(lastOpId) ? lastOpId : lastOpId > 0 ? Number.MAX_SAFE_INTEGER : 0,
    seqs: typeof seqs === 'string' ? [] : seqs,
    answers: typeof answers === 'string' ? [] : answers,
    seenAt: Number.isSafeInteger(seenAt) ? seenAt : 0,
  };
  if (problems.length === 0) return record;
  return { ...record, damaged: `${where}: the record of client ${JSON.stringify(clientId)} is damaged: ${problems.join('; ')}` };
}
