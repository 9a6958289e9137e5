/**
 * A SyncServer on a SqliteStore, run as its own process so that tests can kill it with SIGKILL:
 * `node --import tsx test/fault/server-process.ts <dbPath> <port>`.
 *
 * It makes the tree 'crash' (a Board root) if the store lacks it, listens on 127.0.0.1:<port>
 * (0 picks one) and prints one JSON line, `{ port, epoch, seq }`, then nothing else. A startup
 * failure prints the error's message to stderr and exits 1. SIGTERM closes the server and the
 * store and exits 0; so does the end of stdin, so that a dying test runner leaves no orphan.
 */
import { SyncServer, SqliteStore } from '../../server/index.js';
import { Board, CRASH_TREE, types } from './types.js';

async function main(dbPath: string, port: number): Promise<void> {
  const server = new SyncServer({ types, store: new SqliteStore(dbPath), snapshotEvery: 500 });
  const tree = server.tree(CRASH_TREE, Board);
  const listening = await server.listen(port);
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop).resume();
  process.stdout.write(`${JSON.stringify({ port: listening, epoch: tree.epoch, seq: tree.seq })}\n`);
}

const [dbPath, portText = '0'] = process.argv.slice(2);
const port = Number(portText);
if (dbPath === undefined || !Number.isInteger(port) || port < 0) {
  process.stderr.write('usage: server-process.ts <dbPath> <port>\n');
  process.exit(2);
}
main(dbPath, port).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
