/**
 * The dashboard example in Chromium under a strict Content-Security-Policy, one without
 * 'unsafe-eval': `new Function` throws EvalError there, so the client's join cannot compile its
 * per-type values factories (client/catalog.ts `valuesMaker`) and must build its mirror with the
 * plain loop instead. The page must still join, show the right panels and apply live batches.
 *
 * The policy is put on the page's document response by Playwright (`page.route`): the server
 * itself sends no CSP.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../examples/dashboard/server.js';
import { METRICS, Panel, panelValues, type MetricName } from '../../examples/dashboard/types.js';
import { CHROMIUM_SKIP_REASON, ensureChromium, launchChromium } from '../helpers/chromium.js';

const WAIT = { timeout: 15_000, interval: 50 } as const;
const DEFAULT_TITLES = ['CPU load', 'Memory used', 'Event-loop delay p99', 'Connected clients', 'Scribes per second'];
const DEFAULT_METRICS: readonly MetricName[] = ['cpu', 'memory', 'loopDelay', 'clients', 'scribes'];

/** Everything from the page's own origin, nothing compiled at run time ('unsafe-eval' is absent). */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self' ws: http:",
  "style-src 'self' 'unsafe-inline'",
  // The page's favicon is `data:,`.
  "img-src 'self' data:",
].join('; ');

/** A `securitypolicyviolation` event the page saw, as recorded by {@link recordViolations}. */
interface Violation {
  readonly directive: string;
  readonly blockedURI: string;
  readonly sourceFile: string;
}

/** Records, in the page, every CSP violation of the document, from its first script on. */
function recordViolations(): void {
  const seen: Violation[] = [];
  (window as unknown as { cspViolations: Violation[] }).cspViolations = seen;
  document.addEventListener('securitypolicyviolation', (e) => {
    seen.push({ directive: e.effectiveDirective, blockedURI: e.blockedURI, sourceFile: e.sourceFile });
  });
}
const violations = (page: Page): Promise<Violation[]> =>
  page.evaluate(() => [...(window as unknown as { cspViolations: Violation[] }).cspViolations]);

/**
 * Whether the page's own code may compile at run time. `page.evaluate` goes through the
 * DevTools protocol, which exempts its own evaluation from 'unsafe-eval' (a `new Function` right
 * in it compiles, policy or not): the attempt is made from a timer callback, a task of the page
 * like any other.
 */
const compileFromTask = (page: Page): Promise<string> =>
  page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        setTimeout(() => {
          try {
            // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point: it must be refused
            new Function('return 1');
            resolve('compiled');
          } catch (error) {
            resolve(error instanceof Error ? error.name : String(error));
          }
        }, 0);
      }),
  );

const chromiumPath = await ensureChromium();

describe.skipIf(chromiumPath === null)(`examples/dashboard in Chromium under a CSP without 'unsafe-eval' (${CHROMIUM_SKIP_REASON})`, () => {
  let dashboard: RunningDashboard;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const consoleErrors: string[] = [];
  let documentsWithCsp = 0;

  const titles = (): Promise<string[]> => page.locator('.panel .panel-title').allTextContents();
  const metrics = (): Promise<(string | null)[]> =>
    page.locator('.panel').evaluateAll((els) => els.map((el) => el.getAttribute('data-metric')));
  /** The server's panels, in order. */
  const panelsOf = () => dashboard.tree.root.children.filter((c) => c.is(Panel));

  // Registered as each resource comes up, so that a failing beforeAll still releases what it made.
  const teardown: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const release of teardown.reverse()) await release();
  });
  beforeAll(async () => {
    dashboard = await startDashboard({ port: 0, quiet: true, sampleIntervalMs: 250 });
    teardown.push(() => dashboard.close());
    browser = await launchChromium();
    teardown.push(() => browser.close());
    // A document Playwright fulfilled has no address of its own: Chromium's Local Network Access
    // checks would refuse its socket to the loopback server, unless the page may reach it.
    context = await browser.newContext({ viewport: { width: 1280, height: 760 }, permissions: ['local-network-access'] });
    teardown.push(() => context.close());
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.addInitScript(recordViolations);
    // The page's document, as the server sends it, with the policy added.
    await page.route(
      (url) => url.origin === new URL(dashboard.url).origin && url.pathname === '/',
      async (route) => {
        const response = await route.fetch();
        documentsWithCsp++;
        await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
      },
    );
    teardown.push(() => page.unrouteAll({ behavior: 'ignoreErrors' }));
    await page.goto(dashboard.url);
    await page.locator('#status[data-state="live"]').waitFor(WAIT);
  });

  it('runs the page under the policy: its own code cannot compile, and the client tried to and was refused', async () => {
    expect(documentsWithCsp).toBe(1);
    expect(await compileFromTask(page)).toBe('EvalError');
    // The client's join met the policy: its bundle's `new Function` was refused (and fell back).
    const bundle = new URL('app.js', dashboard.url).href;
    await expect.poll(() => violations(page).then((vs) => vs.filter((v) => v.sourceFile === bundle)), WAIT).not.toEqual([]);
    // Nothing but eval was refused: the page's own script, stylesheet and socket all loaded.
    for (const v of await violations(page)) expect(v, JSON.stringify(v)).toMatchObject({ directive: 'script-src', blockedURI: 'eval' });
    expect(consoleErrors.filter((m) => !/unsafe-eval/.test(m))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('joins and shows the panels with the values of the server', async () => {
    await expect.poll(() => titles(), WAIT).toEqual(DEFAULT_TITLES);
    expect(await metrics()).toEqual(DEFAULT_METRICS);
    // Attributes of the joined records, each in its place: data-metric above, units and titles here.
    const units = await page.locator('.panel .panel-unit').allTextContents();
    expect(units).toEqual(DEFAULT_METRICS.map((m) => METRICS[m].unit));
    await expect.poll(() => page.locator('.panel[data-metric="clients"] .panel-value').textContent(), WAIT).toBe('1');
    const ids = await page.locator('.panel').evaluateAll((els) => els.map((el) => el.getAttribute('data-id')));
    expect(ids).toEqual(panelsOf().map((p) => String(p.id)));
  });

  it('applies live batches: samples, a rename and a new panel made by the server', async () => {
    // Samples keep arriving: the chart gains points.
    const points = (): Promise<number> =>
      page.locator('.panel[data-metric="cpu"] .spark-line').getAttribute('points').then((p) => p?.split(' ').length ?? 0);
    await expect.poll(points, WAIT).toBeGreaterThanOrEqual(3);

    dashboard.tree.transact(() => {
      panelsOf()[0]?.attrs.title.set('Renamed by the server');
      dashboard.tree.root.create(Panel, { ...panelValues('memory'), title: 'Added by the server' });
    });
    const expected = ['Renamed by the server', ...DEFAULT_TITLES.slice(1), 'Added by the server'];
    await expect.poll(() => titles(), WAIT).toEqual(expected);
    expect(await metrics()).toEqual([...DEFAULT_METRICS, 'memory']);
    await expect.poll(() => page.locator('.panel').last().locator('.panel-meta').textContent(), WAIT).toMatch(/^avg /);
    expect(errors).toEqual([]);
  });
});
