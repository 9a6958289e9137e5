/**
 * `npm run bench:cadence`: the cadence variants the peer servers accept, the report's verdict on
 * figures made up to sit on either side of it, and one short real run whose intervals must set
 * the pace of the messages the clients receive.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cadenceMs, variantsFor } from '../../bench/peers/model.js';
import { cadenceReport, type CadencePoint } from '../../bench/peers/report-cadence.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'treesync-cadence-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cadence variants', () => {
  it('name an interval in ms for their own system only', () => {
    expect(cadenceMs('treesync', 'every8')).toBe(8);
    expect(cadenceMs('colyseus', 'patch33')).toBe(33);
    expect(cadenceMs('colyseus', 'patch50')).toBe(50);
    // Colyseus's 60-a-second variant keeps its exact interval.
    expect(cadenceMs('colyseus', 'patch16')).toBeCloseTo(1000 / 60);
    for (const [system, variant] of [
      ['treesync', 'patch8'],
      ['colyseus', 'every8'],
      ['treesync', 'every0'],
      ['treesync', 'every'],
      ['treesync', 'every08'],
      ['treesync', 'every12345'],
      ['treesync', 'every8 '],
      ['colyseus', 'patchEach'],
      ['treesync', 'batched'],
    ] as const) {
      expect(cadenceMs(system, variant), `${system}/${variant}`).toBeUndefined();
    }
  });

  it('are accepted by the scripts of their system, on top of its named variants', () => {
    expect(variantsFor('treesync', 'every12')).toEqual(['batched', 'paced', 'unbatched', 'every12']);
    expect(variantsFor('treesync', 'every')).toEqual(['batched', 'paced', 'unbatched']);
    expect(variantsFor('sharedb', 'every12')).toEqual(['doc', 'docs']);
  });
});

/** A made-up measured point: `frames` messages over 10 s to 200 clients, 10,000 mutations, `systemUs` of the CPU per mutation in the kernel. */
function point(system: CadencePoint['system'], variant: string, intervalMs: number | undefined, cpuUsPerMutation: number, p99Ms: number, frames: number, systemUs?: number): CadencePoint {
  const kernel = systemUs === undefined ? {} : { cpuSystemUs: systemUs * 10_000 };
  const server = { type: 'report', mutations: 10_000, seconds: 10, cpuUs: cpuUsPerMutation * 10_000, ...kernel, tickP99Ms: 1, tickMaxMs: 2 } as const;
  const clients = { type: 'report', bytes: 1, frames, mutations: 2_000_000, minMutations: 10_000, maxMutations: 10_000, gaps: 0, samples: 100, p50Ms: p99Ms / 2, p99Ms, maxMs: p99Ms, cpuShare: 0.3, eventLoopP99Ms: 1 } as const;
  return { system, variant, intervalMs, server, clients };
}

const base = { started: new Date(0), n: 200, rate: 1000, objects: 1000, seconds: 10, floor: { rate: 1000, cpuUsPerMutation: 30, systemUsPerMutation: 5 } };
const peers = [point('colyseus', 'patch50', 50, 70, 60, 40_000), point('colyseus', 'patch16', 1000 / 60, 150, 25, 110_000), point('sharedb', 'doc', undefined, 1000, 14, 400_000)];

describe('the cadence report', () => {
  it('names the cheapest treesync setting below both corners when there is one', () => {
    const report = cadenceReport({ ...base, points: [point('treesync', 'every50', 50, 75, 55, 40_000), point('treesync', 'every8', 8, 60, 12, 240_000), ...peers] }).join('\n');
    expect(report).toContain('Yes: treesync every8 costs 60 µs per mutation (Colyseus patch50: 70) with p99 12 ms (ShareDB doc: 14).');
    expect(report).not.toContain('No treesync setting');
  });

  it('says why when none is: the cost per message and what the p99 would need', () => {
    const treesync = [point('treesync', 'every50', 50, 75, 55, 40_000, 40), point('treesync', 'every8', 8, 250, 13, 240_000, 150), point('treesync', 'every16', 16, 140, 20, 110_000, 80)];
    const report = cadenceReport({ ...base, points: [...treesync, ...peers] }).join('\n');
    expect(report).toContain("No treesync setting here is below Colyseus patch50's CPU (70 µs per mutation) and ShareDB doc's p99 (14 ms) at once.");
    // every8 is the only one under 14 ms: 250 / 70 = 3.57× Colyseus's default.
    expect(report).toContain("Under ShareDB's p99, the cheapest treesync setting is treesync every8: 250 µs per mutation, 3.57× Colyseus patch50's");
    // Net of the 30 µs generator, per message: every50 (75-30)*10,000/40,000 = 11.25, every16 110*10,000/110,000 = 10,
    // every8 220*10,000/240,000 = 9.17, the least; Colyseus patch50 10, patch16 120*10,000/110,000 = 10.9.
    expect(report).toContain('cost the server at least 9.17 µs in treesync and 10 µs in Colyseus');
    // The clients saw every16's batches every 1,000 / 55 = 18.2 ms, its p99 1.82 ms over that, the least margin:
    // a p99 under 14 ms needs a message every 12.2 ms, 16,418 a second, 30 + 9.17 × 16.4 = 180 µs per mutation.
    expect(report).toContain("at least every 12.2 ms (no treesync point's p99 was less than 1.82 ms over the interval its clients saw): 16,418 messages a second");
    expect(report).toContain('is 180 µs per mutation, 2.58× Colyseus patch50');
    // (70 - 30) × 1,000 / 16,418.
    expect(report).toContain('a message would have to cost at most 2.44 µs, everything else free.');
    // Kernel per message, net of the generator's 5: every8 (150-5)*10,000/240,000 = 6.04, the least.
    expect(report).toContain('was at least 6.04 µs in treesync: over that budget before any JavaScript runs.');
    expect(report).toContain('16 ms: 140 against 150 µs, p99 20 against 25 ms');
    expect(report).toContain('50 ms: 75 against 70 µs, p99 55 against 60 ms');
    expect(report).toContain('- Below Colyseus patch50 (70 µs, 60 ms) on both figures: no treesync setting.');
    expect(report).toContain('- Below ShareDB doc (1,000 µs, 14 ms) on both figures: every8 (250 µs, 13 ms).');
  });

  it('leaves out what it cannot work out, and reports a failed point as failed', () => {
    const failed: CadencePoint = { system: 'treesync', variant: 'every8', intervalMs: 8, failed: 'server exited' };
    const report = cadenceReport({ ...base, points: [failed, point('colyseus', 'patch50', 50, 70, 60, 40_000)] }).join('\n');
    expect(report).toContain('| treesync | every8 | 8 | failed: server exited |');
    expect(report).toContain('Not judged');
    const unfloored = cadenceReport({ ...base, floor: undefined, points: [point('treesync', 'every8', 8, 250, 13, 240_000), ...peers] }).join('\n');
    expect(unfloored).toContain('The generator floor was not measured');
    expect(unfloored).not.toContain('messages a second to');
  });
});

describe('npm run bench:cadence', () => {
  it('runs each point against its real server, and the interval sets how often clients hear', () => {
    const out = join(dir, 'cadence.md');
    const env = { ...process.env, CADENCE_POINTS: 'treesync/every16,treesync/every50,colyseus/patch25', CADENCE_SECONDS: '2', CADENCE_N: '200', CADENCE_OUT: out, CADENCE_FLOOR: '0' };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/cadence.ts'], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 });
    expect(run.status, run.stderr).toBe(0);
    const report = readFileSync(out, 'utf8');
    const perClient = (variant: string): number => {
      const row = report.split('\n').find((line) => line.includes(`| ${variant} |`));
      expect(row, variant).toBeDefined();
      return Number.parseFloat((row ?? '').split('|')[4] ?? '');
    };
    // A message each interval: about 60 a second at 16 ms, 20 at 50 ms, 40 at Colyseus's 25 (a 2 s
    // window's edges move them a little). At 200 clients a flush costs enough that the bound, not the
    // duty, sets the pace; the default flush would give about 58, Colyseus's default 20.
    expect(perClient('every16')).toBeGreaterThan(40);
    expect(perClient('every16')).toBeLessThan(80);
    expect(perClient('every16') / perClient('every50')).toBeGreaterThan(1.8);
    expect(perClient('every50')).toBeGreaterThan(14);
    expect(perClient('every50')).toBeLessThan(26);
    expect(perClient('patch25')).toBeGreaterThan(30);
    expect(perClient('patch25')).toBeLessThan(50);
    expect(report).toContain('Not judged');
  }, 120_000);
});
