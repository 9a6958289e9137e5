/**
 * Fan-out under visibility rules: a tree's batch sent to each audience as the stream it may
 * receive, encoded once per group of sessions that receive the same.
 */
import { ServerEvent, type Op } from '../shared/index.js';
import type { Session } from './session.js';
import type { SendTo } from './transport.js';
import type { Tree } from './tree.js';
import type { Viewer } from './viewer.js';
import type { TreeVisibility, TxnStreams } from './visibility.js';

/**
 * Sends a batch under visibility rules: sessions are grouped by what they may receive (their
 * stream of each transaction, and where their stream stands), and each group's batch is encoded
 * once. A batch a session receives nothing of is not sent; its next one starts where it stood.
 */
export function sendFiltered(sendTo: SendTo, tree: Tree, visibility: TreeVisibility, args: readonly unknown[], txns: readonly TxnStreams[]): void {
  const last = txns[txns.length - 1]?.lastSeq ?? 0;
  const ids = new Map<readonly Op[], number>();
  const groups = new Map<string, Viewer[]>();
  for (const viewer of visibility.viewers) {
    let key = String(viewer.sentSeq);
    for (const txn of txns) {
      const stream = txn.lastSeq > viewer.sentSeq ? txn.streams.get(viewer) : undefined;
      if (stream === undefined || stream.length === 0) {
        key += ',-';
        continue;
      }
      let id = ids.get(stream);
      if (id === undefined) ids.set(stream, (id = ids.size));
      key += `,${id}`;
    }
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
      const stream = txn.streams.get(first);
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
