import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayers, findImports } from '../../scripts/check-layers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const script = join(repo, 'scripts/check-layers.ts');
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the checker as `npm run lint` does: a separate tsx process. */
function runChecker(root: string): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [tsxCli, script, root], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A throwaway tree of source files, removed after the test. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'treesync-layers-'));
  temps.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('findImports()', () => {
  it('finds static, re-exported, dynamic and type-position imports, marking the type-only ones', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "export * from './c.js';",
      "import './d.js';",
      "const e = await import('./e.js');",
      "type F = import('./f.js').F;",
    ].join('\n');
    expect(findImports('x.ts', text).map((r) => [r.specifier, r.line, r.typeOnly])).toEqual([
      ['./a.js', 1, false],
      ['./b.js', 2, true],
      ['./c.js', 3, false],
      ['./d.js', 4, false],
      ['./e.js', 5, false],
      ['./f.js', 6, true],
    ]);
  });

  it('ignores import-like text in comments and strings', () => {
    const text = "/**\n * @example\n * import { t } from 'treesync';\n */\nconst s = \"from './x.js'\";\n";
    expect(findImports('x.ts', text)).toEqual([]);
  });
});

describe('check-layers', () => {
  it('fails on an import cycle and names every file in it', async () => {
    const root = await tree({
      'shared/a.ts': "import { b } from './b.js';\nexport const a = (): number => b + 1;\n",
      'shared/b.ts': "import type { C } from './c.js';\nexport const b = 1;\nexport type B = C;\n",
      'shared/c.ts': "import { a } from './a.js';\nexport type C = ReturnType<typeof a>;\n",
      'shared/leaf.ts': 'export const leaf = 0;\n',
    });
    const run = await runChecker(root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cycle: shared/a.ts -> shared/b.ts -(type)-> shared/c.ts -> shared/a.ts');
    expect(run.stderr).not.toContain('leaf');
  });

  it('fails on a file that imports itself through the package entry point', async () => {
    const root = await tree({
      'shared/index.ts': "export * from './x.js';\n",
      'shared/x.ts': "import type { Y } from 'treesync';\nexport type X = Y;\nexport type Y = 1;\n",
    });
    expect(checkLayers(root).cycles.map((c) => c.text)).toEqual(['shared/index.ts -> shared/x.ts -(type)-> shared/index.ts']);
  });

  it('fails on server/ and client/ importing each other and shared/ importing either', async () => {
    const root = await tree({
      'shared/s.ts': "import { c } from '../client/c.js';\nexport const s = c;\n",
      'server/v.ts': "export type { C } from '../client/c.js';\nexport const v = 1;\n",
      'client/c.ts': "import { v } from 'treesync/server';\nexport const c = v;\nexport type C = 1;\n",
      'server/index.ts': "export * from './v.js';\n",
      'server/w.ts': "export { gone } from '../client/gone.js';\n",
    });
    const run = await runChecker(root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("layer: shared/s.ts:1 imports '../client/c.js' (shared/ may not import client/)");
    expect(run.stderr).toContain("layer: server/v.ts:1 imports '../client/c.js' (server/ may not import client/)");
    expect(run.stderr).toContain("layer: client/c.ts:1 imports 'treesync/server' (client/ may not import server/)");
    expect(run.stderr).toContain("layer: server/w.ts:1 imports '../client/gone.js' (server/ may not import client/)");
  });

  it('passes a layered tree without cycles', async () => {
    const root = await tree({
      'shared/index.ts': "export * from './ops.js';\n",
      'shared/ops.ts': "import type { Json } from './json.js';\nexport const op = (j: Json): Json => j;\n",
      'shared/json.ts': 'export type Json = null | string;\n',
      'server/index.ts': "import { op } from '../shared/index.js';\nimport { Server } from 'socket.io';\nexport { op, Server };\n",
      'client/index.ts': "import { op } from 'treesync';\nexport { op };\n",
    });
    const run = await runChecker(root);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('check-layers: 5 files');
  });

  it('passes on this repository', async () => {
    const run = await runChecker(repo);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
