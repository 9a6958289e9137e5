import { describe, expect, it } from 'vitest';
import { CHROMIUM_SKIP_REASON, ensureChromium, launchChromium } from '../helpers/chromium.js';

// The pattern for every browser suite: resolve the path while collecting, skip with the reason.
const chromiumPath = await ensureChromium();

describe.skipIf(chromiumPath === null)(`launchChromium() (${CHROMIUM_SKIP_REASON})`, () => {
  it('loads a page headless and closes', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto('data:text/html,<title>treesync</title><p id="x">ok</p>');
      expect(await page.title()).toBe('treesync');
      expect(await page.textContent('#x')).toBe('ok');
    } finally {
      await browser.close();
    }
  });
});

describe('ensureChromium()', () => {
  it('returns the same answer every time without installing twice', async () => {
    expect(await ensureChromium()).toBe(chromiumPath);
  });
});
