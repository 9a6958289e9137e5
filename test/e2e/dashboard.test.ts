/**
 * The dashboard example end to end: the real server (on port 0, in this process), its esbuild
 * bundle, and two headless Chromium pages that see each other's edits.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../examples/dashboard/server.js';
import { METRICS, Panel, isMetric } from '../../examples/dashboard/types.js';
import { CHROMIUM_SKIP_REASON, ensureChromium, launchChromium } from '../helpers/chromium.js';

const SCREENSHOT = '/tmp/dashboard.png';

/** The server's panels, in order. */
const panelsOf = (dashboard: RunningDashboard) => dashboard.tree.root.children.filter((c) => c.is(Panel));
const WAIT = { timeout: 15_000, interval: 50 } as const;

describe('examples/dashboard over http', () => {
  let dashboard: RunningDashboard;
  beforeAll(async () => {
    dashboard = await startDashboard({ port: 0, quiet: true, sampleIntervalMs: 100 });
  });
  afterAll(() => dashboard.close());

  it('serves the page, its stylesheet and its bundle with their content types', async () => {
    const types = await Promise.all(
      ['', 'index.html', 'style.css', 'app.js', 'app.js.map'].map(async (path) => {
        const res = await fetch(new URL(path, dashboard.url));
        await res.arrayBuffer();
        return [path, res.status, res.headers.get('content-type')];
      }),
    );
    expect(types).toEqual([
      ['', 200, 'text/html; charset=utf-8'],
      ['index.html', 200, 'text/html; charset=utf-8'],
      ['style.css', 200, 'text/css; charset=utf-8'],
      ['app.js', 200, 'text/javascript; charset=utf-8'],
      ['app.js.map', 200, 'application/json; charset=utf-8'],
    ]);
  });

  it('answers 404 outside public/ and for unknown files, 405 for other methods', async () => {
    const statuses = await Promise.all(
      ['/nope.html', '/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/main.ts', '/%00.html'].map(async (path) => {
        // fetch() would normalize `..` away: send the raw path.
        const res = await fetch(dashboard.url.replace(/\/$/, '') + path);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    const post = await fetch(dashboard.url, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('creates the default panels and fills them with samples', async () => {
    const panels = panelsOf(dashboard);
    expect(panels.map((p) => p.get('metric'))).toEqual(['cpu', 'memory', 'loopDelay', 'clients', 'scribes']);
    await expect
      .poll(() => panels.every((p) => p.get('history').length >= 2), WAIT)
      .toBe(true);
  });
});

const chromiumPath = await ensureChromium();

describe.skipIf(chromiumPath === null)(`examples/dashboard in Chromium (${CHROMIUM_SKIP_REASON})`, () => {
  let dashboard: RunningDashboard;
  let browser: Browser;
  let contexts: BrowserContext[];
  let a: Page;
  let b: Page;

  const titles = (page: Page): Promise<string[]> => page.locator('.panel .panel-title').allTextContents();
  const metrics = (page: Page): Promise<(string | null)[]> =>
    page.locator('.panel').evaluateAll((els) => els.map((el) => el.getAttribute('data-metric')));

  /** Opens the dashboard in a fresh browser context: like a second browser, with its own storage. */
  async function open(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(dashboard.url);
    await page.locator('#status[data-state="live"]').waitFor(WAIT);
    expect(errors).toEqual([]);
    return page;
  }

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
    contexts = [];
    [a, b] = await Promise.all([open(), open()]);
  });

  it('shows the default panels with live figures and a chart', async () => {
    for (const page of [a, b]) {
      await expect.poll(() => titles(page), WAIT).toEqual(['CPU load', 'Memory used', 'Event-loop delay p99', 'Connected clients', 'Scribes per second']);
      await expect.poll(() => page.locator('.panel[data-metric="clients"] .panel-value').textContent(), WAIT).toBe('2');
      await expect.poll(() => page.locator('.panel[data-metric="memory"] .panel-unit').textContent(), WAIT).toBe('%');
      // At least three samples drawn: three points in the line.
      await expect
        .poll(() => page.locator('.panel[data-metric="cpu"] .spark-line').getAttribute('points').then((p) => p?.split(' ').length ?? 0), WAIT)
        .toBeGreaterThanOrEqual(3);
    }
    const first = await a.locator('.panel[data-metric="scribes"] .panel-value').textContent();
    await expect.poll(() => a.locator('.panel-meta').first().textContent(), WAIT).toMatch(/^avg /);
    expect(Number(first)).toBeGreaterThan(0);
  });

  it('renames a panel in page A and page B shows the new title', async () => {
    const panel = a.locator('.panel').first();
    await panel.locator('[data-action="rename"]').click();
    const input = panel.locator('input.inline-edit');
    await input.fill('Processor');
    await input.press('Enter');
    await expect.poll(async () => (await titles(b))[0], WAIT).toBe('Processor');
    // A's own page applies the same batch on its own socket: it may land a moment after B's.
    await expect.poll(async () => (await titles(a))[0], WAIT).toBe('Processor');
    expect(panelsOf(dashboard)[0]?.get('title')).toBe('Processor');
  });

  it('adds a panel in page B and page A shows it, live', async () => {
    await b.locator('select.add-metric').selectOption('memory');
    await b.locator('button.add-button').click();
    await expect.poll(() => metrics(a), WAIT).toEqual(['cpu', 'memory', 'loopDelay', 'clients', 'scribes', 'memory']);
    const added = a.locator('.panel').last();
    expect(await added.locator('.panel-title').textContent()).toBe('Memory used');
    await expect.poll(() => added.locator('.panel-meta').textContent(), WAIT).toMatch(/^avg /);
  });

  it('reorders panels from either page', async () => {
    // B moves the first panel one place later; A moves the last one place earlier.
    await b.locator('.panel').first().locator('[data-action="down"]').click();
    await expect.poll(() => metrics(a), WAIT).toEqual(['memory', 'cpu', 'loopDelay', 'clients', 'scribes', 'memory']);
    await a.locator('.panel').last().locator('[data-action="up"]').click();
    const expected = ['memory', 'cpu', 'loopDelay', 'clients', 'memory', 'scribes'];
    await expect.poll(() => metrics(b), WAIT).toEqual(expected);
    await expect.poll(() => metrics(a), WAIT).toEqual(expected);
  });

  it('removes a panel in page A and page B loses it', async () => {
    await a.locator('.panel[data-metric="loopDelay"] [data-action="remove"]').click();
    const expected = ['memory', 'cpu', 'clients', 'memory', 'scribes'];
    await expect.poll(() => metrics(b), WAIT).toEqual(expected);
    await expect.poll(() => metrics(a), WAIT).toEqual(expected);
    expect(panelsOf(dashboard).map((p) => p.get('metric'))).toEqual(expected);
  });

  it('applies the edits of two tabs of one browser (which share localStorage)', async () => {
    const context = contexts[0];
    if (context === undefined) throw new Error('no context');
    const tab = await context.newPage();
    await tab.goto(dashboard.url);
    await tab.locator('#status[data-state="live"]').waitFor(WAIT);
    // Both tabs of one context propose, one after the other, and both edits must land.
    await tab.locator('.panel').first().locator('[data-action="rename"]').click();
    await tab.locator('.panel input.inline-edit').first().fill('From tab 2');
    await tab.locator('.panel input.inline-edit').first().press('Enter');
    await expect.poll(async () => (await titles(a))[0], WAIT).toBe('From tab 2');
    await a.locator('.panel').nth(1).locator('[data-action="rename"]').click();
    await a.locator('.panel input.inline-edit').nth(1).fill('From tab 1');
    await a.locator('.panel input.inline-edit').nth(1).press('Enter');
    await expect.poll(async () => (await titles(tab))[1], WAIT).toBe('From tab 1');
    await tab.close();
  });

  it('shows edits the server makes, and looks right (screenshot at ' + SCREENSHOT + ')', async () => {
    dashboard.tree.transact(() => {
      for (const panel of panelsOf(dashboard)) {
        const metric = panel.get('metric');
        if (isMetric(metric)) panel.attrs.title.set(METRICS[metric].label);
      }
    });
    const expected = ['Memory used', 'CPU load', 'Connected clients', 'Memory used', 'Scribes per second'];
    await expect.poll(() => titles(a), WAIT).toEqual(expected);
    await expect.poll(() => titles(b), WAIT).toEqual(expected);
    // Enough samples for the charts to show a shape; the hovered card shows its controls.
    await a.waitForTimeout(2000);
    await a.locator('.panel').nth(1).hover();
    await a.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});

describe.skipIf(chromiumPath === null)(`examples/dashboard across a server restart (${CHROMIUM_SKIP_REASON})`, () => {
  const teardown: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const release of teardown.reverse()) await release();
  });

  it('goes offline when the server stops and live again, with the new tree, when it is back', async () => {
    const first = await startDashboard({ port: 0, quiet: true, sampleIntervalMs: 100 });
    teardown.push(() => first.close());
    const browser = await launchChromium();
    teardown.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(first.url);
    await page.locator('#status[data-state="live"]').waitFor(WAIT);
    await page.locator('.panel').first().locator('[data-action="remove"]').click();
    await expect.poll(() => page.locator('.panel').count(), WAIT).toBe(4);
    // Let the old tree's seq run well ahead of the new one's.
    await expect.poll(() => first.tree.seq, WAIT).toBeGreaterThan(300);

    await first.close();
    await page.locator('#status[data-state="offline"]').waitFor(WAIT);
    const second = await startDashboard({ port: first.port, quiet: true, sampleIntervalMs: 1000, build: false });
    teardown.push(() => second.close());

    await page.locator('#status[data-state="live"]').waitFor(WAIT);
    // The restarted server has fresh default panels: the page shows them, not its old mirror.
    await expect.poll(() => page.locator('.panel').count(), WAIT).toBe(5);
    // A mirror that kept the old tree's seq would be ahead of its server.
    const pageSeq = async (): Promise<number> => Number.parseInt((await page.locator('#seq').textContent())?.replace('seq ', '') ?? '', 10);
    await expect.poll(async () => (await pageSeq()) <= second.tree.seq && second.tree.seq < 300, WAIT).toBe(true);
  });
});
