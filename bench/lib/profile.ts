/**
 * In-process CPU profiles for bench children (BENCH_PROF=1): started and stopped around a
 * measurement window through node:inspector, written to bench/.out/ (open them in Chrome's
 * devtools), and summarized as the functions with the most self time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
}

const OUT = fileURLToPath(new URL('../.out/', import.meta.url));
const ROOT_URL = new URL('../../', import.meta.url).href;

/** Whether BENCH_PROF=1 asks for profiles. */
export const PROFILING = process.env['BENCH_PROF'] === '1';

/** A running profile of this process; `stop` writes it as `<name>.cpuprofile` and returns the top self-time lines. */
export async function startProfile(name: string): Promise<{ stop: (top?: number) => Promise<string[]> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    stop: async (top = 12) => {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
      session.disconnect();
      mkdirSync(OUT, { recursive: true });
      writeFileSync(`${OUT}${name}.cpuprofile`, JSON.stringify(profile));
      return summarize(profile, top);
    },
  };
}

/** The `top` functions by self time, as `share  name  file:line` lines. */
export function summarize(profile: Profile, top: number): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  for (const id of samples) {
    const frame = byNode.get(id)?.callFrame;
    if (frame === undefined) continue;
    const file = frame.url.startsWith(ROOT_URL) ? frame.url.slice(ROOT_URL.length) : frame.url;
    const key = `${frame.functionName || '(anonymous)'}  ${file || '(native)'}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, n]) => `${((100 * n) / Math.max(1, samples.length)).toFixed(1).padStart(5)}%  ${key}`);
}
