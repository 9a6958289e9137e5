/**
 * The dashboard example offline, end to end: edits made in a real Chromium page while it cannot
 * reach the server show at once (optimistic), live in the tab's sessionStorage, survive reloads of
 * the page, and reach the server exactly once when the connection comes back; an edit the server
 * made invalid meanwhile is dropped and the others still apply.
 *
 * The server stays up throughout. The page is cut off by Playwright's `page.routeWebSocket`: the
 * client speaks socket.io over websocket only (client/socket-io.ts), so there is no polling
 * transport to block. See {@link Link}.
 */
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../examples/dashboard/server.js';
import { Panel } from '../../examples/dashboard/types.js';
import { CHROMIUM_SKIP_REASON, ensureChromium, launchChromium } from '../helpers/chromium.js';

const WAIT = { timeout: 15_000, interval: 50 } as const;
/** For what must already be on screen: the page is offline, only its own mirror can have put it there. */
const AT_ONCE = { timeout: 2_000, interval: 20 } as const;
const DEFAULT_TITLES = ['CPU load', 'Memory used', 'Event-loop delay p99', 'Connected clients', 'Scribes per second'];
const DEFAULT_METRICS = ['cpu', 'memory', 'loopDelay', 'clients', 'scribes'];

/** socket.io frames that answer the page's proposals or carry scribes: `42["ack",…]`, `42["reject",…]`, `42["b",…]`. */
const ANSWER_FRAME = /^42\["(ack|reject|b)"/;

/** An `ack` or `reject` the server sent the page, as seen on the wire. */
interface Answer {
  readonly event: 'ack' | 'reject';
  readonly opId: number;
  /** The created objects' ids, of an ack. */
  readonly ids?: readonly number[];
  /** The error code, of a reject. */
  readonly code?: string;
  /** False when the link was deaf and dropped it. */
  readonly delivered: boolean;
}

/**
 * The page's side of the network, in Playwright's hands. Online, every socket.io websocket is
 * connected to the real server and frames pass both ways. Offline, open sockets are closed and a
 * new one is held in CONNECTING (as if the server's host did not answer) until the link is back,
 * when it connects at once. `deaf` lets the page's frames through but drops the server's acks,
 * rejects and batches: the server applies a proposal whose answer the page never gets.
 */
class Link {
  deaf = false;
  /** Every ack and reject the server sent, delivered or not. */
  readonly answers: Answer[] = [];
  #online = true;
  readonly #waiting: (() => void)[] = [];
  readonly #open = new Set<WebSocketRoute>();

  route(page: Page): Promise<void> {
    return page.routeWebSocket(/\/socket\.io\//, (ws) => this.#handle(ws));
  }

  async #handle(ws: WebSocketRoute): Promise<void> {
    const socket: { closed: boolean; server?: WebSocketRoute } = { closed: false };
    // Set, this handler replaces the default forwarding of a close: forward it by hand.
    ws.onClose(() => {
      socket.closed = true;
      this.#open.delete(ws);
      void socket.server?.close().catch(() => undefined);
    });
    while (!this.#online) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    // Given up by the page meanwhile (socket.io's connect timeout).
    if (socket.closed) return;
    const server = ws.connectToServer();
    socket.server = server;
    server.onMessage((frame) => {
      const answer = typeof frame === 'string' ? ANSWER_FRAME.exec(frame)?.[1] : undefined;
      const delivered = !(this.deaf && answer !== undefined);
      if (answer === 'ack' || answer === 'reject') this.#record(answer, frame as string, delivered);
      if (delivered) ws.send(frame);
    });
    server.onClose(() => {
      this.#open.delete(ws);
      void ws.close().catch(() => undefined);
    });
    this.#open.add(ws);
  }

  #record(event: 'ack' | 'reject', frame: string, delivered: boolean): void {
    const [, body] = JSON.parse(frame.slice(2)) as [string, { opId: number; ids?: number[]; code?: string }];
    this.answers.push({ event, opId: body.opId, delivered, ...(body.ids === undefined ? {} : { ids: body.ids }), ...(body.code === undefined ? {} : { code: body.code }) });
  }

  /** Cuts the open sockets and holds new ones. */
  async offline(): Promise<void> {
    this.#online = false;
    const open = [...this.#open];
    this.#open.clear();
    await Promise.all(open.map((ws) => ws.close().catch(() => undefined)));
  }

  /** Lets the held sockets (and new ones) through to the server. */
  online(): void {
    this.#online = true;
    for (const release of this.#waiting.splice(0)) release();
  }
}

/** The tab's offline queue as stored: its raw text, or null when there is none. */
function storedQueue(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const id = sessionStorage.getItem('treesync.clientId');
    return id === null ? null : sessionStorage.getItem(`treesync.queue.${id}`);
  });
}

interface QueueEntry {
  readonly tree: string;
  readonly local: readonly unknown[];
  readonly creates: readonly number[];
  readonly opId?: number;
}

/** The stored queue's entries (the format of client/offline-queue.ts); fails when there is no queue. */
async function queueEntries(page: Page): Promise<QueueEntry[]> {
  const text = await storedQueue(page);
  if (text === null) throw new Error('no offline queue in sessionStorage');
  return (JSON.parse(text) as { entries: QueueEntry[] }).entries;
}

const clientIdOf = (page: Page): Promise<string | null> => page.evaluate(() => sessionStorage.getItem('treesync.clientId'));

const titles = (page: Page): Promise<string[]> => page.locator('.panel .panel-title').allTextContents();
const metrics = (page: Page): Promise<(string | null)[]> =>
  page.locator('.panel').evaluateAll((els) => els.map((el) => el.getAttribute('data-metric')));
const status = (page: Page): Promise<string | null> => page.locator('#status').getAttribute('data-state');

/** The server's panels, in order. */
const panelsOf = (dashboard: RunningDashboard) => dashboard.tree.root.children.filter((c) => c.is(Panel));
const serverTitles = (dashboard: RunningDashboard): string[] => panelsOf(dashboard).map((p) => p.get('title'));
const serverMetrics = (dashboard: RunningDashboard): string[] => panelsOf(dashboard).map((p) => p.get('metric'));

/** Renames a panel the way a user does: ✎, type, Enter. */
async function rename(page: Page, panel: string, title: string): Promise<void> {
  const card = page.locator(panel);
  await card.locator('[data-action="rename"]').click();
  const input = card.locator('input.inline-edit');
  await input.fill(title);
  await input.press('Enter');
}

async function addPanel(page: Page, metric: string): Promise<void> {
  await page.locator('select.add-metric').selectOption(metric);
  await page.locator('button.add-button').click();
}

/**
 * Records, in the page, every list of panel titles its DOM went through (as one string each,
 * titles joined by `|`): a proposal shown twice, even for a moment, would be in there. Per document.
 */
function recordPanelLists(): void {
  const seen = new Set<string>();
  (window as unknown as { panelLists: Set<string> }).panelLists = seen;
  new MutationObserver(() => {
    seen.add([...document.querySelectorAll('.panel .panel-title')].map((el) => el.textContent).join('|'));
  }).observe(document, { subtree: true, childList: true, characterData: true });
}
const panelLists = (page: Page): Promise<string[][]> =>
  page.evaluate(() => [...(window as unknown as { panelLists: Set<string> }).panelLists].map((s) => (s === '' ? [] : s.split('|'))));

const chromiumPath = await ensureChromium();

describe.skipIf(chromiumPath === null)(`examples/dashboard offline, across reloads (${CHROMIUM_SKIP_REASON})`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });

  // Per test: its own server and browser context (so its own sessionStorage), released even when it
  // fails; `report`, when the test failed, prints what the page saw (before the page closes).
  const teardown: (() => Promise<void>)[] = [];
  let report: (() => Promise<void>) | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') await report?.();
    report = undefined;
    for (const release of teardown.splice(0).reverse()) await release();
  });

  interface Setup {
    readonly dashboard: RunningDashboard;
    readonly page: Page;
    readonly link: Link;
    readonly errors: string[];
  }

  async function setup(build: boolean): Promise<Setup> {
    const dashboard = await startDashboard({ port: 0, quiet: true, sampleIntervalMs: 250, build });
    teardown.push(() => dashboard.close());
    const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    teardown.push(() => context.close());
    const page = await context.newPage();
    const log: string[] = [];
    const errors: string[] = [];
    const started = Date.now();
    page.on('console', (m) => log.push(`+${Date.now() - started}ms ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => {
      errors.push(e.message);
      log.push(`+${Date.now() - started}ms pageerror: ${e.message}`);
    });
    await page.addInitScript(recordPanelLists);
    const link = new Link();
    report = async () => {
      const queue = await storedQueue(page).catch((error: unknown) => `(unreadable: ${String(error)})`);
      console.log(
        [`page console:\n${log.join('\n') || '(empty)'}`, `answers on the wire: ${JSON.stringify(link.answers)}`, `stored queue: ${queue ?? '(none)'}`].join('\n'),
      );
    };
    await link.route(page);
    teardown.push(async () => {
      // Release sockets still held, so nothing waits past the test.
      link.online();
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    });
    await page.goto(dashboard.url);
    await page.locator('#status[data-state="live"]').waitFor(WAIT);
    await expect.poll(() => titles(page), WAIT).toEqual(DEFAULT_TITLES);
    return { dashboard, page, link, errors };
  }

  it('keeps offline edits across two reloads and applies each exactly once', { timeout: 90_000 }, async () => {
    const { dashboard, page, link, errors } = await setup(true);
    const clientId = await clientIdOf(page);
    expect(clientId).toMatch(/.+/);
    expect(await storedQueue(page)).toBeNull();

    // 1. Offline: four edits in the UI, one of them on a panel that exists only in this page.
    await link.offline();
    await expect.poll(() => status(page), WAIT).toBe('offline');
    await rename(page, '.panel[data-metric="cpu"]', 'Renamed offline');
    await addPanel(page, 'memory');
    // The new card is shown at once, under a local (negative) id until the server names it.
    await expect.poll(() => page.locator('.panel[data-id^="-"]').count(), AT_ONCE).toBe(1);
    await rename(page, '.panel[data-id^="-"]', 'Added offline');
    await page.locator('.panel[data-metric="loopDelay"] [data-action="remove"]').click();

    const expectedTitles = ['Renamed offline', 'Memory used', 'Connected clients', 'Scribes per second', 'Added offline'];
    const expectedMetrics = ['cpu', 'memory', 'clients', 'scribes', 'memory'];
    await expect.poll(() => titles(page), AT_ONCE).toEqual(expectedTitles);
    expect(await metrics(page)).toEqual(expectedMetrics);
    // Queued in sessionStorage, in order; none was ever sent, so none has an opId.
    const offlineQueue = await queueEntries(page);
    expect(offlineQueue.map((e) => [e.tree, e.opId, e.creates.length])).toEqual([
      ['dashboard', undefined, 0],
      ['dashboard', undefined, 1],
      ['dashboard', undefined, 0],
      ['dashboard', undefined, 0],
    ]);
    // Nothing reached the server.
    expect(serverTitles(dashboard)).toEqual(DEFAULT_TITLES);
    expect(serverMetrics(dashboard)).toEqual(DEFAULT_METRICS);

    // 2. Reload while still offline: the edits now exist only in sessionStorage.
    await page.reload();
    expect(await clientIdOf(page)).toBe(clientId);
    expect(await status(page)).toBe('connecting');
    expect(await page.locator('.panel').count()).toBe(0);
    expect((await queueEntries(page)).map((e) => e.opId)).toEqual([undefined, undefined, undefined, undefined]);

    // 3. The restored client connects, but the server's answers never reach the page: the proposals
    // go out with opIds and are applied, and the page still holds them, unanswered. The rename of the
    // new panel waits for the ack of its create (which never comes), and the removal after it waits in turn.
    link.deaf = true;
    link.online();
    await expect.poll(() => serverMetrics(dashboard), WAIT).toEqual([...DEFAULT_METRICS, 'memory']);
    expect(serverTitles(dashboard)).toEqual(['Renamed offline', ...DEFAULT_TITLES.slice(1), 'Memory used']);
    const sentQueue = await queueEntries(page);
    const opIds = sentQueue.map((e) => e.opId);
    expect(opIds).toHaveLength(4);
    expect(opIds[0]).toBeGreaterThan(0);
    expect(opIds[1]).toBe((opIds[0] ?? 0) + 1);
    expect(opIds.slice(2)).toEqual([undefined, undefined]);
    // The server acked both; the link dropped the acks. The create's ack named the new panel.
    const [first, second] = opIds as [number, number];
    await expect.poll(() => link.answers.map((a) => [a.event, a.opId, a.delivered]), WAIT).toEqual([
      ['ack', first, false],
      ['ack', second, false],
    ]);
    const added = panelsOf(dashboard).at(-1);
    expect(link.answers[1]?.ids).toEqual([added?.id]);

    // 4. Cut again and reload before any answer came: the next page must resend the first two with the
    // same opIds (the server answers them from its records, without applying them again).
    await link.offline();
    link.deaf = false;
    await page.reload();
    expect(await clientIdOf(page)).toBe(clientId);
    expect((await queueEntries(page)).map((e) => e.opId)).toEqual(opIds);
    expect(await page.locator('.panel').count()).toBe(0);

    // 5. Back online for good.
    const answered = link.answers.length;
    link.online();
    await page.locator('#status[data-state="live"]').waitFor(WAIT);
    await expect.poll(() => serverTitles(dashboard), WAIT).toEqual(expectedTitles);
    expect(serverMetrics(dashboard)).toEqual(expectedMetrics);
    await expect.poll(() => titles(page), WAIT).toEqual(expectedTitles);
    expect(await metrics(page)).toEqual(expectedMetrics);
    // The created card now has its real id; the queue is gone from storage.
    await expect.poll(() => page.locator('.panel[data-id^="-"]').count(), WAIT).toBe(0);
    await expect.poll(() => storedQueue(page), WAIT).toBeNull();
    // Still so a few samples later (a late duplicate would show by then); one session, no stray socket.
    await page.waitForTimeout(500);
    expect(serverTitles(dashboard)).toEqual(expectedTitles);
    expect(await titles(page)).toEqual(expectedTitles);
    expect(dashboard.server.sessionCount).toBe(1);
    // One ack per proposal: the resent ones with the same opIds and, for the create, the same object.
    const replayed = link.answers.slice(answered);
    expect(replayed.map((a) => [a.event, a.opId, a.delivered]).sort((x, y) => Number(x[1]) - Number(y[1]))).toEqual([
      ['ack', first, true],
      ['ack', second, true],
      ['ack', second + 1, true],
      ['ack', second + 2, true],
    ]);
    expect(replayed.find((a) => a.opId === second)?.ids).toEqual([added?.id]);
    expect(panelsOf(dashboard).at(-1)?.id).toBe(added?.id);
    // Since the last reload (the replay), the page never showed the new panel twice, not even for a moment.
    const lists = await panelLists(page);
    expect(lists.length).toBeGreaterThan(0);
    for (const list of lists) {
      expect(list.filter((t) => t === 'Added offline' || t === 'Memory used').length, list.join(', ')).toBeLessThanOrEqual(2);
      expect(list.length, list.join(', ')).toBeLessThanOrEqual(6);
    }
    expect(errors).toEqual([]);
  });

  // Without the reload, the page's own promise rejects (the app shows it in its toast); with it,
  // the restored proposal has no promise and the client only emits `reject`.
  it.each([
    { reload: false, name: 'while the page stays open' },
    { reload: true, name: 'across a reload' },
  ])('drops an offline edit the server made invalid and applies the others, $name', { timeout: 60_000 }, async ({ reload }) => {
    const { dashboard, page, link, errors } = await setup(false);

    await link.offline();
    await expect.poll(() => status(page), WAIT).toBe('offline');
    await rename(page, '.panel[data-metric="clients"]', 'Doomed rename');
    await rename(page, '.panel[data-metric="scribes"]', 'Kept rename');
    await addPanel(page, 'cpu');
    await expect.poll(() => titles(page), AT_ONCE).toEqual([...DEFAULT_TITLES.slice(0, 3), 'Doomed rename', 'Kept rename', 'CPU load']);
    expect((await queueEntries(page)).map((e) => e.opId)).toEqual([undefined, undefined, undefined]);

    // Meanwhile the server removes the panel the page renamed.
    const doomed = panelsOf(dashboard).find((p) => p.get('metric') === 'clients');
    if (doomed === undefined) throw new Error('no clients panel on the server');
    doomed.destroy();
    const expectedTitles = [...DEFAULT_TITLES.slice(0, 3), 'Kept rename', 'CPU load'];
    const expectedMetrics = ['cpu', 'memory', 'loopDelay', 'scribes', 'cpu'];

    if (reload) {
      await page.reload();
      expect(await queueEntries(page)).toHaveLength(3);
    }
    link.online();
    await page.locator('#status[data-state="live"]').waitFor(WAIT);
    await expect.poll(() => serverTitles(dashboard), WAIT).toEqual(expectedTitles);
    expect(serverMetrics(dashboard)).toEqual(expectedMetrics);
    // The page drops the refused rename along with its panel: it shows the server's panels.
    await expect.poll(() => titles(page), WAIT).toEqual(expectedTitles);
    expect(await metrics(page)).toEqual(expectedMetrics);
    await expect.poll(() => storedQueue(page), WAIT).toBeNull();
    // On the wire: the server refused the first (its panel is gone) and acked the two after it.
    const answers = [...link.answers].sort((x, y) => x.opId - y.opId).map((a) => [a.event, a.code]);
    expect(answers).toEqual([
      ['reject', 'UNKNOWN_OBJECT'],
      ['ack', undefined],
      ['ack', undefined],
    ]);
    if (!reload) await expect.poll(() => page.locator('#toast').textContent(), WAIT).toMatch(/^UNKNOWN_OBJECT: /);
    await page.waitForTimeout(300);
    expect(serverTitles(dashboard)).toEqual(expectedTitles);
    expect(await titles(page)).toEqual(expectedTitles);
    expect(errors).toEqual([]);
  });
});
