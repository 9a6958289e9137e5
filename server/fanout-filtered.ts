/**
 * Fan-out under visibility rules: a tree's batch sent to each audience as the stream it may
 * receive, encoded once per group of sessions that receive the same.
 */
import { ServerEvent, type Op } from '../shared/index.js';
import type { Session } from './session.js';
import type { SendTo } from './transport.js';
import type { Tree } from './tree.js';
import type { Viewer } from './viewer.js';
import { streamOf, type TreeVisibility, type TxnStreams } from './visibility.js';

/**
 * Sends a batch under visibility rules: sessions are grouped by what they may receive (their
 * stream of each transaction, and where their stream stands), and each group's batch is encoded
 * once. A batch a session receives nothing of is not sent; its next one starts where it stood.
 * What a session receives is worked out once per audience (sessions with the same verdicts) and
 * per transaction; each session then costs one lookup per batch.
 */
export function sendFiltered(sendTo: SendTo, tree: Tree, visibility: TreeVisibility, args: readonly unknown[], txns: readonly TxnStreams[]): void {
  const last = txns[txns.length - 1]?.lastSeq ?? 0;
  const ids = new Map<readonly Op[], number>();
  const idOf = (stream: readonly Op[] | undefined): string => {
    if (stream === undefined || stream.length === 0) return '-';
    let id = ids.get(stream);
    if (id === undefined) ids.set(stream, (id = ids.size));
    return String(id);
  };
  // Each audience's streams of the batch's transactions, as ids, from the first transaction a
  // session of it may still need (sessions of one audience stand at the same seq, but for one that
  // just joined or was refreshed; those key on their own seq).
  const partition = txns[0]?.partition;
  const samePartition = partition !== undefined && txns.every((txn) => txn.partition === partition);
  const audienceKeys = new Map<string, string>();
  const keyOf = (viewer: Viewer): string => {
    const audience = samePartition ? partition.audienceOf.get(viewer) : undefined;
    const memo = audience === undefined ? undefined : `${audience}@${viewer.sentSeq}`;
    const known = memo === undefined ? undefined : audienceKeys.get(memo);
    if (known !== undefined) return known;
    let key = String(viewer.sentSeq);
    for (const txn of txns) key += `,${txn.lastSeq > viewer.sentSeq ? idOf(streamOf(txn, viewer)) : '-'}`;
    if (memo !== undefined) audienceKeys.set(memo, key);
    return key;
  };
  const groups = new Map<string, Viewer[]>();
  for (const viewer of visibility.viewers) {
    const key = keyOf(viewer);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [viewer]);
    else group.push(viewer);
  }
  for (const viewers of groups.values()) {
    const first = viewers[0] as Viewer;
    const ops: Op[] = [];
    const runs: [number, string][] = [];
    let unchanged = first.sentSeq === (args[1] as number) - 1;
    for (const txn of txns) {
      if (txn.lastSeq <= first.sentSeq) continue;
      const stream = streamOf(txn, first);
      if (stream !== txn.ops) unchanged = false;
      if (stream === undefined || stream.length === 0) continue;
      for (const op of stream) ops.push(op);
      const run = runs[runs.length - 1];
      if (run !== undefined && run[1] === txn.origin) run[0] += stream.length;
      else runs.push([stream.length, txn.origin]);
    }
    if (ops.length === 0) continue;
    const links = viewers.map((v) => (v.owner as Session).link);
    // Everything, as it was: the batch unfiltered. Otherwise its own stream, saying where it ends.
    if (unchanged) sendTo(links, ServerEvent.batch, args);
    else sendTo(links, ServerEvent.batch, [tree.ref, first.sentSeq + 1, ops, runs.every((r) => r[1] === 'server') ? null : runs, last]);
    for (const v of viewers) v.sentSeq = last;
  }
}
