/**
 * Bundles the page (page/app.ts) into public/app.js with esbuild. `treesync` and
 * `treesync/client` resolve to the package's source through the repository's tsconfig `paths`.
 * Run by `startDashboard()` at startup, or alone with `npm run build:example`.
 */
import { build, type Metafile } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** Where the bundle goes. */
export const PUBLIC_DIR = here('./public/');

/** Options of {@link buildPage}. */
export interface BuildPageOptions {
  /** Minify the bundle (default false: the page is an example meant to be read in devtools). */
  readonly minify?: boolean;
}

/**
 * Bundles page/app.ts to public/app.js (ESM, browser, with a source map); resolves to the bundle's size in bytes.
 * @example
 * await buildPage();
 */
export async function buildPage(options: BuildPageOptions = {}): Promise<number> {
  const result = await build({
    entryPoints: [here('./page/app.ts')],
    outfile: here('./public/app.js'),
    tsconfig: here('../../tsconfig.json'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    minify: options.minify ?? false,
    metafile: true,
    logLevel: 'warning',
  });
  return bundleBytes(result.metafile);
}

function bundleBytes(meta: Metafile): number {
  return Object.entries(meta.outputs)
    .filter(([path]) => path.endsWith('.js'))
    .reduce((sum, [, out]) => sum + out.bytes, 0);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bytes = await buildPage({ minify: process.argv.includes('--minify') });
  console.log(`built examples/dashboard/public/app.js (${(bytes / 1024).toFixed(1)} KiB)`);
}
