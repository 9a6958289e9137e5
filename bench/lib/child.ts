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

/** A message from a child: a `type` and whatever that type carries. */
export interface Reply {
  readonly type: string;
  readonly [key: string]: unknown;
}

function isReply(m: unknown): m is Reply {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/** A bench child process (a .ts file under bench/ run through tsx). */
export class Child {
  readonly #proc: ChildProcess;
  readonly #inbox: Reply[] = [];
  #wake: (() => void) | undefined;
  #exited: string | undefined;
  readonly #done: Promise<void>;

  constructor(
    readonly script: string,
    args: readonly string[],
    cpu?: number,
  ) {
    // BENCH_PROF=1: CPU profiles of the server processes in bench/.out/ (open them in Chrome's devtools).
    const prof = process.env['BENCH_PROF'] === '1' && script === 'server.ts' ? ['--cpu-prof', `--cpu-prof-dir=${ROOT}bench/.out`] : [];
    const node = [process.execPath, ...prof, '--import', TSX, fileURLToPath(new URL(`../${script}`, import.meta.url)), ...args];
    const argv = cpu !== undefined && HAS_TASKSET ? ['taskset', '-c', String(cpu), ...node] : node;
    this.#proc = spawn(argv[0] ?? 'node', argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#proc.on('message', (m: unknown) => {
      if (isReply(m)) this.#inbox.push(m);
      this.#wake?.();
    });
    this.#done = new Promise((resolve) => {
      this.#proc.on('exit', (code, signal) => {
        this.#exited = `${script} exited (${signal ?? String(code)})`;
        this.#wake?.();
        resolve();
      });
    });
  }

  /** Whether children are pinned to cores. */
  static get pinned(): boolean {
    return HAS_TASKSET;
  }

  /** Sends a command. */
  send(command: Command): void {
    if (this.#exited === undefined) this.#proc.send(command);
  }

  /** The next reply of this type (earlier replies of other types are dropped); throws on an `error` reply, exit or timeout. */
  async next<T extends Reply = Reply>(type: string, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.#inbox.shift();
      if (m !== undefined) {
        if (m.type === 'error') throw new Error(`${this.script}: ${String(m['message'])}`);
        if (m.type === type) return m as T;
        continue;
      }
      if (this.#exited !== undefined) throw new Error(`${this.#exited} while awaiting ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.script}: no ${type} within ${timeoutMs} ms`);
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
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 3_000);
    await this.#done;
    clearTimeout(timer);
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

/** In a child: reports an error to the orchestrator and exits. */
export function fatal(error: unknown): void {
  reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  setTimeout(() => process.exit(1), 100);
}

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
