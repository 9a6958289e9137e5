/**
 * Test helper: finds (or, as root on Debian, installs) the system Chromium and launches it with
 * playwright-core. It never downloads a browser build: the only source is Debian's `chromium`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const run = promisify(execFile);

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The message a skipped browser suite shows. */
export const CHROMIUM_SKIP_REASON =
  `needs ${CHROMIUM_PATH} (Debian package \`chromium\`: apt-get install -y chromium)`;

const INSTALL_TIMEOUT_MS = 8 * 60_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let pending: Promise<string | null> | undefined;

const hasAptGet = (): boolean => ['/usr/bin/apt-get', '/bin/apt-get'].some((p) => existsSync(p));

async function install(): Promise<string | null> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0 || !hasAptGet()) return null;
  const options = {
    timeout: INSTALL_TIMEOUT_MS,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  };
  try {
    // Test files run in separate workers: a second one waits for the first one's dpkg lock.
    const wait = ['-o', `DPkg::Lock::Timeout=${INSTALL_TIMEOUT_MS / 1000}`];
    await run('apt-get', [...wait, 'update'], options);
    await run('apt-get', [...wait, 'install', '-y', '--no-install-recommends', 'chromium'], options);
  } catch (error) {
    // A failed install means "no browser here": the suites skip rather than fail, so say why.
    console.warn(`ensureChromium: apt-get install chromium failed: ${String(error)}`);
    return null;
  }
  return existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : null;
}

/**
 * Returns the path of the system Chromium, installing Debian's `chromium` first when it is
 * missing and we are root with apt-get; returns null when it cannot be had. Tries at most once
 * per process.
 *
 * @example
 * const chromiumPath = await ensureChromium();
 * describe.skipIf(!chromiumPath)(`in a browser (${CHROMIUM_SKIP_REASON})`, () => { ... });
 */
export function ensureChromium(): Promise<string | null> {
  pending ??= install();
  return pending;
}

/**
 * Launches the system Chromium headless. Playwright gives each launch a fresh temporary profile
 * and removes it on `close()` (it refuses a `--user-data-dir` argument), so runs never share
 * state. Throws when /usr/bin/chromium cannot be had: gate the suite on {@link ensureChromium}.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium();
  if (executablePath === null) throw new Error(`cannot launch Chromium: ${CHROMIUM_SKIP_REASON}`);
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
