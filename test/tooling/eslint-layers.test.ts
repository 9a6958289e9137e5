import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Files that each break (or, in the adapters, keep) one rule of the house style. */
const FIXTURES: Record<string, string> = {
  'shared/node.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
  'shared/bare-node.ts': "import { join } from 'path';\nexport const j = join;\n",
  'shared/io.ts': "import { Server } from 'socket.io';\nexport const s = Server;\n",
  'shared/up.ts': "import { x } from '../server/x.js';\nexport const u = x;\n",
  'shared/enum.ts': 'export enum Color { Red }\n',
  'shared/log.ts': "export function log(): void {\n  console.log('hi');\n}\n",
  'shared/any.ts': 'export const a = (v: any): unknown => v;\n',
  'shared/types.ts': "import { type Json } from './json.js';\nexport type T = Json;\n",
  'shared/json.ts': 'export type Json = null;\n',
  'shared/globals.ts': 'export const g = (): unknown => [process.env, document.title];\n',
  'client/globals.ts': "export const g = (): unknown => [document.title, Buffer.from('x')];\n",
  'server/x.ts': "import { c } from '../client/c.js';\nexport const x = c;\n",
  'server/io.ts': "import { Server } from 'socket.io';\nexport const s = Server;\n",
  'server/socket-io.ts': "import { Server } from 'socket.io';\nexport const s = Server;\n",
  'client/c.ts': "import { x } from 'treesync/server';\nimport { tmpdir } from 'node:os';\nexport const c = [x, tmpdir];\n",
  'client/io.ts': "import { io } from 'socket.io-client';\nexport const i = io;\n",
  'client/socket-io.ts': "import { io } from 'socket.io-client';\nexport const i = io;\n",
};

let dir = '';
let results = new Map<string, string[]>();

beforeAll(async () => {
  // Under the repo's node_modules so that the copied config resolves typescript-eslint.
  await mkdir(join(repo, 'node_modules/.cache'), { recursive: true });
  dir = await mkdtemp(join(repo, 'node_modules/.cache/treesync-eslint-'));
  await copyFile(join(repo, 'eslint.config.js'), join(dir, 'eslint.config.js'));
  const tsconfig = {
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      lib: ['ES2023', 'DOM'],
      types: ['node'],
      skipLibCheck: true,
      noEmit: true,
    },
    include: ['shared', 'server', 'client'],
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  for (const [path, text] of Object.entries(FIXTURES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const eslint = new ESLint({ cwd: dir });
  const lint = await eslint.lintFiles(Object.keys(FIXTURES));
  results = new Map(
    lint.map((r) => [r.filePath.slice(dir.length + 1), r.messages.map((m) => m.ruleId ?? m.message)]),
  );
}, 120_000);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const R = '@typescript-eslint/no-restricted-imports';

/** The rules each fixture must break, in order; an empty list means it must lint clean. */
const EXPECTED: Record<string, string[]> = {
  'shared/node.ts': [R],
  'shared/bare-node.ts': [R],
  'shared/io.ts': [R],
  'shared/up.ts': [R],
  'shared/enum.ts': ['no-restricted-syntax'],
  'shared/log.ts': ['no-console'],
  'shared/any.ts': ['@typescript-eslint/no-explicit-any'],
  'shared/types.ts': ['@typescript-eslint/no-import-type-side-effects'],
  'shared/json.ts': [],
  'shared/globals.ts': ['no-restricted-globals', 'no-restricted-globals'],
  'client/globals.ts': ['no-restricted-globals'],
  'server/x.ts': [R],
  'server/io.ts': [R],
  'server/socket-io.ts': [],
  'client/c.ts': [R, R],
  'client/io.ts': [R],
  'client/socket-io.ts': [],
};

describe('eslint.config.js', () => {
  it('lints every fixture', () => {
    expect([...results.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('reports on %s exactly %j', (file, rules) => {
    expect(results.get(file)).toEqual(rules);
  });
});
