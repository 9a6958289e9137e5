/**
 * W2 client writes for treesync (bench/peers/model.ts; run by treesync-clients.ts):
 * `w2 <variant> <port> <writers> <perSecond> <seconds>`. Each writer is a real SyncClient with a
 * mirror of tree `peers`; a write is `view.attrs.value.set(v)`, whose promise resolves once the
 * server acked it AND the mirror shows it (the ack's seq reached), and rejects with the server's
 * INVALID when its rule refuses it (treesync-model.ts: GuardedPeerObject). The writers do not
 * pass `types`, so they check only what the welcome carries: the server's `validate` is not
 * among it, and the refusal is the server's. After the writes, a fresh SyncClient joins and
 * every writer's `mirror.state` is compared with its state.
 */
import { SyncClient, type Mirror } from '../../client/index.js';
import { ErrorCode, SyncError } from '../../shared/index.js';
import { onCommand, reply } from '../lib/child.js';
import { inBatches } from '../lib/sampling.js';
import { runWrites, writeArgs, type Writer } from '../lib/writes.js';
import { PeerObject, TREE, idsByIndex } from './treesync-model.js';

/** The PeerObjects a mirror holds. */
function objectCount(mirror: Mirror): number {
  return Object.values(mirror.state.objects).filter((o) => o.type === PeerObject.name).length;
}

/** A reader of a mirror's `value` by model index. */
function values(mirror: Mirror, ids: readonly number[]): (j: number) => number | undefined {
  return (j) => {
    const v = mirror.state.objects[ids[j] ?? -1]?.values['value'];
    return typeof v === 'number' ? v : undefined;
  };
}

function writer(mirror: Mirror, m: number): Writer {
  const ids = idsByIndex(mirror.state, m);
  return {
    write: (j, value) =>
      mirror
        .view(ids[j] ?? -1, PeerObject)
        .attrs.value.set(value)
        .then(
          () => 'accepted' as const,
          (error: unknown) => {
            if (error instanceof SyncError && error.code === ErrorCode.INVALID) return 'refused' as const;
            throw error;
          },
        ),
    value: values(mirror, ids),
  };
}

export async function w2(url: string, args: readonly string[]): Promise<void> {
  const { writers: n, perSecond, seconds } = writeArgs(args);
  const mirrors: Mirror[] = [];
  await inBatches(n, async (k) => {
    mirrors[k] = await new SyncClient({ url, clientId: `peers-writer-${k}`, storage: null }).join(TREE);
  });
  const m = objectCount(mirrors[0] ?? (await Promise.reject(new Error('no writer'))));
  const writers = mirrors.map((mirror) => writer(mirror, m));
  const fresh = async (): Promise<(j: number) => number | undefined> => {
    const client = new SyncClient({ url, clientId: 'peers-fresh', storage: null });
    const mirror = await client.join(TREE);
    const read = values(mirror, idsByIndex(mirror.state, m));
    const copy = Array.from({ length: m }, (_, j) => read(j));
    client.close();
    return (j) => copy[j];
  };
  onCommand(async (cmd) => {
    if (cmd === 'start') reply({ ...(await runWrites(writers, { m, perSecond, seconds, outcome: 'ack or reject message; an ack once the mirror shows it', fresh })) });
  });
  reply({ type: 'ready' });
}
