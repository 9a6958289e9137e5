/**
 * W5 filtered views for treesync (bench/peers/model.ts; run by treesync-clients.ts):
 * `w5 <variant> <port> <N> <groups>`. Client i says its group, i % groups, in its handshake
 * `auth` (`{ group }`); the server's `authenticate` hook puts it in the principal and its
 * visibility rules show the client the objects of its group only (treesync-server.ts). The first
 * few clients (MIRRORS) are real SyncClients, the rest speak the protocol by hand, as in W1.
 *
 * Violations: an object of another group in a snapshot (or a mirror's state), and an op naming an
 * object the client does not hold (nothing is created or moved here, so the snapshot is the
 * client's whole view). Continuity: a filtered batch covers `firstSeq .. lastSeq` and the next
 * starts right after it. Latency is sampled on every mirror and on 20 protocol-level clients.
 */
import { SyncClient, type Mirror } from '../../client/index.js';
import { unflattenSnapshot, type JoinedMessage } from '../../shared/index.js';
import { onCommand, reply } from '../lib/child.js';
import { median, now } from '../lib/model.js';
import { joinTree, onBatch, protocolSocket } from '../lib/protocol.js';
import { SAMPLED, Sampling, inBatches, samplingCommands, spread } from '../lib/sampling.js';
import { tappedTransport } from '../lib/visibility-transport.js';
import { onWireMessage } from '../lib/wire.js';
import type { W5ClientsExtra } from './model.js';
import { PeerObject, TREE, modelIndex } from './treesync-model.js';

/** SyncClients among the W5 clients. */
const MIRRORS = 5;

export async function w5(url: string, n: number, groups: number): Promise<void> {
  const mirrors = Math.min(n, MIRRORS);
  const sampled = spread(n - mirrors, SAMPLED, mirrors);
  const sampling = new Sampling(n);
  const held: number[] = [];
  let violations = 0;
  let firstViolation = '';
  const violation = (i: number, what: string): void => {
    violations++;
    firstViolation ||= `client ${i} (group ${i % groups}): ${what}`;
  };
  /** The ids of client i's objects, from its snapshot; counts the foreign ones as violations. */
  const fromSnapshot = (i: number, objects: readonly { id: number; type: string; values: readonly unknown[] | Readonly<Record<string, unknown>> }[]): Set<number> => {
    const ids = new Set<number>();
    for (const o of objects) {
      if (o.type !== PeerObject.name) continue;
      const j = modelIndex(o.values);
      if (j % groups !== i % groups) violation(i, `object ${o.id} (index ${j}) in its snapshot`);
      ids.add(o.id);
    }
    held[i] = ids.size;
    return ids;
  };
  const sample = (i: number, value: unknown, at: number): void => {
    if (sampling.measuring && typeof value === 'number' && (i < mirrors || sampled.has(i))) sampling.sample(at - value);
  };

  async function mirrorClient(i: number): Promise<void> {
    const transport = tappedTransport(url, () => undefined, (s) => onWireMessage(s, sampling.count));
    const mirror: Mirror = await new SyncClient({ transport, clientId: `peers-w5-mirror-${i}`, auth: { group: i % groups }, storage: null }).join(TREE);
    const ids = fromSnapshot(
      i,
      Object.values(mirror.state.objects).map((o) => ({ id: o.id, type: o.type, values: o.values })),
    );
    mirror.on('change', (e) => {
      if (!ids.has(e.id)) violation(i, `a change of object ${e.id}`);
      if (!sampling.measuring || e.attr !== 'value') return;
      const at = now();
      sampling.receive(i, e.ops.length);
      for (const applied of e.ops) sample(i, applied.op[3], at);
    });
  }

  async function rawClient(i: number): Promise<void> {
    const socket = protocolSocket(url, `peers-w5-raw-${i}`, { extra: { group: i % groups }, onConnect: (s) => onWireMessage(s, sampling.count) });
    let ids = new Set<number>();
    let next = 0;
    const typeOf: string[] = [];
    socket.once('welcome', (w) => w.types.forEach(([name], k) => (typeOf[k] = name)));
    onBatch(socket, ({ firstSeq, lastSeq, ops }) => {
      const at = now();
      if (firstSeq !== next && sampling.measuring) sampling.gaps++;
      next = lastSeq + 1;
      for (const op of ops) {
        if (!ids.has(op[1])) violation(i, `op ${op[0]} on object ${op[1]}, which it does not hold`);
        sample(i, op[3], at);
      }
      if (sampling.measuring) sampling.receive(i, ops.length);
    });
    const joined: JoinedMessage = await joinTree(socket, TREE);
    ids = fromSnapshot(
      i,
      unflattenSnapshot(joined.snapshot ?? []).map(([id, type, , values]) => ({ id, type: typeOf[type] ?? '', values })),
    );
    next = joined.seq + 1;
  }

  await inBatches(n, (i) => (i < mirrors ? mirrorClient(i) : rawClient(i)));
  onCommand(
    samplingCommands(sampling, {
      extra: () => {
        if (firstViolation !== '') process.stderr.write(`W5: ${violations} violations, the first: ${firstViolation}\n`);
        return { violations, heldMedian: median(held), mirrors } satisfies W5ClientsExtra & { mirrors: number };
      },
    }),
  );
  reply({ type: 'ready' });
}
