/**
 * Runs test/fault/server-process.ts as a child process: start it, wait for its ready line, kill
 * it with SIGKILL or stop it with SIGTERM. Every child started here is killed by killAll().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./server-process.ts', import.meta.url));

/** What the server process prints once it listens. */
export interface Ready {
  readonly port: number;
  readonly epoch: string;
  readonly seq: number;
}

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running server process. */
export interface ChildServer extends Ready {
  readonly pid: number;
  readonly url: string;
  /** Settles when the process has exited, however. */
  readonly exited: Promise<Exit>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<Exit>;
  /** SIGTERM (a clean close of server and store), then waits for the exit. */
  stop(): Promise<Exit>;
}

const live = new Set<ChildProcess>();

/** Runs the server script on `dbPath` at `port`; resolves to its exit (it is not waited for its ready line). */
export function runServer(dbPath: string, port = 0): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dbPath, String(port)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exited };
}

/** Starts the server script and resolves once it listens; rejects with its output if it exits first or takes longer than `ms`. */
export function startServerProcess(dbPath: string, port = 0, ms = 15_000): Promise<ChildServer> {
  const { child, exited } = runServer(dbPath, port);
  return new Promise<ChildServer>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server process did not start within ${ms} ms`));
    }, ms);
    const onData = (chunk: string): void => {
      buffer += chunk;
      const line = buffer.split('\n', 1)[0];
      if (line === undefined || !buffer.includes('\n')) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      const ready = JSON.parse(line) as Ready;
      const signal = async (name: NodeJS.Signals): Promise<Exit> => {
        if (child.exitCode === null && child.signalCode === null) child.kill(name);
        return exited;
      };
      resolve({
        ...ready,
        pid: child.pid ?? -1,
        url: `http://127.0.0.1:${ready.port}`,
        exited,
        kill: () => signal('SIGKILL'),
        stop: () => signal('SIGTERM'),
      });
    };
    child.stdout?.on('data', onData);
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`the server process exited (${String(exit.code ?? exit.signal)}) before listening: ${exit.stderr.trim()}`));
    });
  });
}

/** SIGKILLs every child still running and waits for them to go. */
export async function killAll(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}
