/**
 * Fails (exit 1) on an import cycle among the .ts files of shared/, server/ and client/, or on an
 * import across layers: shared/ imports neither server/ nor client/, and server/ and client/ never
 * import each other. `import type` edges count too: a cycle of types still ties two concepts
 * together, and the fix (move the shared type into its own file) is cheap. Such cycles are labelled.
 *
 * Usage: tsx scripts/check-layers.ts [root]   (root defaults to the repository)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const LAYERS = ['shared', 'server', 'client'] as const;
type Layer = (typeof LAYERS)[number];

/** Which layers each layer may import. */
const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  shared: ['shared'],
  server: ['shared', 'server'],
  client: ['shared', 'client'],
};

/** The package's own entry points, as `paths` in tsconfig.json maps them. */
const SELF: Readonly<Record<string, string>> = {
  treesync: 'shared/index.ts',
  'treesync/server': 'server/index.ts',
  'treesync/client': 'client/index.ts',
};

/** One import of one file: where it is and what it names. */
export interface ImportRef {
  readonly specifier: string;
  readonly line: number;
  /** Erased at run time: `import type`, `export type`, or `import('x').T` in a type. */
  readonly typeOnly: boolean;
}

/** One import cycle: its files in order, the first repeated at the end. */
export interface Cycle {
  readonly files: readonly string[];
  /** `a.ts -> b.ts -(type)-> a.ts`: the edges, marked where only `import type` links them. */
  readonly text: string;
}

/** Each file's imports of other checked files, and whether that edge is type-only. */
type Graph = ReadonlyMap<string, ReadonlyMap<string, boolean>>;

/** What the check found; both lists empty means the tree is clean. */
export interface LayerReport {
  readonly files: number;
  readonly cycles: readonly Cycle[];
  readonly crossings: readonly string[];
}

const SOURCE_FILE = /\.(ts|mts|cts|tsx)$/;

function listSources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listSources(path);
    return SOURCE_FILE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module specifier in `text`: static imports, re-exports, `import()` and `import('x').T`. */
export function findImports(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const found: ImportRef[] = [];
  const add = (node: ts.Node | undefined, typeOnly: boolean): void => {
    if (node !== undefined && ts.isStringLiteralLike(node)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      found.push({ specifier: node.text, line, typeOnly });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a specifier names (which may not exist), or null for another package. */
function resolveImport(root: string, from: string, specifier: string): string | null {
  const self = SELF[specifier];
  if (self !== undefined) return join(root, self);
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  // nodenext spells a .ts import with .js; try the source spellings before giving up.
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base.replace(/\.cjs$/, '.cts'),
    base.replace(/\.jsx?$/, '.tsx'),
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? base;
}

function layerOf(root: string, file: string): Layer | null {
  const top = relative(root, file).split(sep)[0];
  return LAYERS.find((l) => l === top) ?? null;
}

/** Strongly connected components (Tarjan); those of more than one file, or a self-import, are cycles. */
function findCycles(graph: Graph): Cycle[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: Cycle[] = [];

  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v) === true) cycles.push(describe(graph, walkCycle(graph, component)));
  };

  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return cycles;
}

/** One concrete loop through a strongly connected component, starting at its first file by name. */
function walkCycle(graph: Graph, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0] ?? '';
  // Breadth-first from start back to start gives the shortest loop.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() ?? '';
    for (const w of [...(graph.get(v)?.keys() ?? [])].sort()) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0] ?? '') ?? start);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

function describe(graph: Graph, files: readonly string[]): Cycle {
  let text = files[0] ?? '';
  for (let i = 1; i < files.length; i += 1) {
    const edgeIsType = graph.get(files[i - 1] ?? '')?.get(files[i] ?? '') ?? false;
    text += `${edgeIsType ? ' -(type)-> ' : ' -> '}${files[i] ?? ''}`;
  }
  return { files, text };
}

/** Checks the tree under `root`; it reads files and prints nothing. */
export function checkLayers(root: string): LayerReport {
  const files = LAYERS.flatMap((l) => listSources(join(root, l)));
  const graph = new Map<string, Map<string, boolean>>();
  const crossings: string[] = [];
  const name = (f: string): string => relative(root, f).split(sep).join('/');

  for (const file of files) {
    const edges = new Map<string, boolean>();
    graph.set(name(file), edges);
    const from = layerOf(root, file);
    for (const { specifier, line, typeOnly } of findImports(file, readFileSync(file, 'utf8'))) {
      const target = resolveImport(root, file, specifier);
      if (target === null) continue;
      const to = layerOf(root, target);
      if (from !== null && to !== null && !ALLOWED[from].includes(to)) {
        crossings.push(`${name(file)}:${line} imports '${specifier}' (${from}/ may not import ${to}/)`);
      }
      // A runtime import of the same file outweighs a type-only one.
      if (to !== null) edges.set(name(target), typeOnly && (edges.get(name(target)) ?? true));
    }
  }
  return { files: files.length, cycles: findCycles(graph), crossings };
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(process.argv[2] ?? join(here, '..'));
  const report = checkLayers(root);
  for (const c of report.crossings) console.error(`layer: ${c}`);
  for (const c of report.cycles) {
    const hint = c.text.includes('-(type)->') ? ' (to break it, move the type behind -(type)-> into a file of its own)' : '';
    console.error(`cycle: ${c.text}${hint}`);
  }
  if (report.crossings.length + report.cycles.length > 0) {
    console.error(
      `check-layers: ${report.cycles.length} import cycle(s), ${report.crossings.length} cross-layer import(s)`,
    );
    process.exit(1);
  }
  console.log(`check-layers: ${report.files} files, no import cycles, no cross-layer imports`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
