/**
 * Child processes of the bench and their IPC: the orchestrator starts each child pinned to one
 * core (taskset, when the machine has it), sends it commands and awaits its typed replies.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from './model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');
const HAS_TASKSET = process.env['BENCH_PIN'] !== '0' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/**
 * Runs a bench script (a .ts file under bench/) to its end, pinned to `cpu` like a server, and
 * returns its stdout; undefined when it failed or ran past `timeoutMs` (the call blocks until then).
 */
export function runPinned(script: string, args: readonly string[], cpu: number, timeoutMs = 60_000): string | undefined {
  const argv = commandLine(script, [], args, cpu);
  const run = spawnSync(argv[0] ?? 'node', argv.slice(1), { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  return run.status === 0 ? run.stdout : undefined;
}

/** The command line of a bench script (`script`: its path under bench/) through tsx, with Node flags, pinned to `cpu` when there is taskset. */
function commandLine(script: string, flags: readonly string[], args: readonly string[], cpu: number | undefined): string[] {
  const node = [process.execPath, ...flags, '--import', TSX, fileURLToPath(new URL(`../${script}`, import.meta.url)), ...args];
  return cpu !== undefined && HAS_TASKSET ? ['taskset', '-c', String(cpu), ...node] : node;
}

/** A message from a child: a `type` and whatever that type carries. */
export interface Reply {
  readonly type: string;
  readonly [key: string]: unknown;
}

function isReply(m: unknown): m is Reply {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/** Where a child's stdout goes: the orchestrator's stdout, or its stderr (when stdout carries the report). */
export interface ChildOptions {
  /** The script's folder under bench/, e.g. 'peers/' (default: bench/ itself). */
  readonly dir?: string;
  readonly stdout?: 'inherit' | 'stderr';
}

/** A bench child process (a .ts file under bench/ run through tsx). */
export class Child {
  /** The children not yet exited. */
  static readonly live = new Set<Child>();
  readonly #proc: ChildProcess;
  readonly #inbox: Reply[] = [];
  #wake: (() => void) | undefined;
  #exited: string | undefined;
  readonly #done: Promise<void>;

  constructor(
    readonly script: string,
    args: readonly string[],
    cpu?: number,
    options: ChildOptions = {},
  ) {
    // BENCH_PROF=1: CPU profiles of the fan-out and peer server processes in bench/.out/ (open them in Chrome's devtools);
    // BENCH_PROF=clients: of the peer load-client processes instead.
    const which = process.env['BENCH_PROF'];
    const profiled =
      which === 'clients' ? options.dir === 'peers/' && script.endsWith('-clients.ts') : which === '1' && (options.dir === undefined ? script === 'server.ts' : options.dir === 'peers/' && script.endsWith('-server.ts'));
    const prof = profiled ? ['--cpu-prof', `--cpu-prof-dir=${ROOT}bench/.out`] : [];
    // BENCH_SERVER_FLAGS: extra Node flags for the server processes only, e.g. `--trace-gc` or `--single-threaded-gc`.
    const serverFlags = script.endsWith('server.ts') ? (process.env['BENCH_SERVER_FLAGS'] ?? '').split(' ').filter((f) => f !== '') : [];
    const argv = commandLine(`${options.dir ?? ''}${script}`, [...prof, ...serverFlags], args, cpu);
    const out = options.stdout === 'stderr' ? 2 : 'inherit';
    this.#proc = spawn(argv[0] ?? 'node', argv.slice(1), { cwd: ROOT, stdio: ['ignore', out, out, 'ipc'] });
    Child.live.add(this);
    this.#proc.on('message', (m: unknown) => {
      if (isReply(m)) this.#inbox.push(m);
      this.#wake?.();
    });
    this.#proc.on('error', (error) => {
      this.#exited = `${script}: ${error.message}`;
      this.#wake?.();
    });
    this.#done = new Promise((resolve) => {
      this.#proc.on('exit', (code, signal) => {
        this.#exited ??= `${script} exited (${signal ?? String(code)})`;
        Child.live.delete(this);
        this.#wake?.();
        resolve();
      });
    });
  }

  /** Whether children are pinned to cores. */
  static get pinned(): boolean {
    return HAS_TASKSET;
  }

  /** Kills every child not yet exited (by its pid). */
  static killAll(): void {
    for (const child of Child.live) child.kill();
  }

  /** Sends a command. */
  send(command: Command): void {
    if (this.#exited === undefined && this.#proc.connected) this.#proc.send(command);
  }

  /**
   * The next reply of this type, or of one of these types (earlier replies of other types are
   * dropped); throws on an `error` reply, exit or timeout.
   */
  async next<T extends Reply = Reply>(type: string | readonly string[], timeoutMs = 60_000): Promise<T> {
    const types = typeof type === 'string' ? [type] : type;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.#inbox.shift();
      if (m !== undefined) {
        if (m.type === 'error') throw new Error(`${this.script}: ${String(m['message'])}`);
        if (types.includes(m.type)) return m as T;
        continue;
      }
      if (this.#exited !== undefined) throw new Error(`${this.#exited} while awaiting ${types.join(' or ')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.script}: no ${types.join(' or ')} within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Asks the child to exit, kills it (by its pid) if it lingers, and waits for it. */
  async stop(): Promise<void> {
    this.send({ cmd: 'exit' });
    const timer = setTimeout(() => this.kill(), 3_000);
    await this.#done;
    clearTimeout(timer);
  }

  /** Kills the child (by its pid) unless it has exited. */
  kill(): void {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill('SIGKILL');
  }
}

/** In a child: sends a reply to the orchestrator. */
export function reply(message: Reply): void {
  process.send?.(message);
}

/** In a child: handles the orchestrator's commands; `exit` ends the process; a throw is reported as an `error` reply. */
export function onCommand(handler: (cmd: Command['cmd']) => void | Promise<void>): void {
  process.on('message', (m: unknown) => {
    const cmd = (m as Partial<Command> | null)?.cmd;
    if (cmd === undefined) return;
    if (cmd === 'exit') process.exit(0);
    Promise.resolve()
      .then(() => handler(cmd))
      .catch(fatal);
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * In a child: runs the handler of `workload` for a known `variant`, or replies `unsupported` for a
 * workload it has no handler for (a workload without commands of its own still answers `exit`).
 */
export function runWorkload(script: string, variants: readonly string[], workload: string, variant: string, handlers: Readonly<Record<string, (() => Promise<void>) | undefined>>): void {
  const handler = handlers[workload];
  if (!variants.includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${variants.join(', ')}`));
  else if (handler === undefined) {
    onCommand(() => undefined);
    reply({ type: 'unsupported', why: `${script}: workload ${workload} is not implemented` });
  } else handler().catch(fatal);
}

/** In a child: reports an error to the orchestrator and exits. */
export function fatal(error: unknown): void {
  reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  setTimeout(() => process.exit(1), 100);
}

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How `measureWindow` runs: seconds of warm-up and of the window, and its waits. */
export interface WindowOptions<S> {
  readonly warmup: number;
  readonly seconds: number;
  /** Longest waits for the server's and the clients' reports (ms, asked for as each wait starts; default Child.next's). */
  readonly serverTimeoutMs?: () => number;
  readonly clientsTimeoutMs?: () => number;
  /** The command that asks the clients for their report, given the server's (default `report`). */
  readonly report?: (server: S) => Command;
}

/**
 * In the orchestrator, once both children are ready: one fan-out window. Starts the server's
 * mutations; after the warm-up marks the server and the clients; after the window stops the
 * server and takes its report; lets what is in flight arrive (300 ms: a 50 ms batch, a patch
 * interval), then takes the clients' report.
 */
export async function measureWindow<S extends Reply, C extends Reply>(server: Child, clients: Child, options: WindowOptions<S>): Promise<{ server: S; clients: C }> {
  server.send({ cmd: 'start' });
  await sleep(options.warmup * 1000);
  server.send({ cmd: 'mark' });
  clients.send({ cmd: 'mark' });
  await sleep(options.seconds * 1000);
  server.send({ cmd: 'stop' });
  const serverReport = await server.next<S>('report', options.serverTimeoutMs?.());
  await sleep(300);
  clients.send(options.report?.(serverReport) ?? { cmd: 'report' });
  const clientsReport = await clients.next<C>('report', options.clientsTimeoutMs?.());
  return { server: serverReport, clients: clientsReport };
}
