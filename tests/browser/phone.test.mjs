// SPDX-License-Identifier: MIT
// The runs view at a phone's width (390 px) in Chromium: every run's
// figures show without scrolling sideways, the table's scroll box is
// focusable and labelled, and the chart's labels stay readable.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, horizontalOverflow, ADMIN_PASSWORD,
} from './lib.mjs';

const NARROW = { width: 390, height: 844 };

let stack;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=30,leads=10'],
    pulls: ['contacts', 'leads'],
  });
});

after(async () => {
  if (stack) await stack.close();
});

test('runs fit a phone width', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD, { viewport: NARROW });
  await page.goto(`${stack.server.url}/#runs`);
  const rows = page.locator('#runs-table tbody tr');
  await rows.first().waitFor();
  assert.ok(await rows.count() >= 2);
  await screenshot(page, 'runs-phone');

  const scroll = page.locator('#runs-scroll');
  const box = await scroll.evaluate((el) => ({
    scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
  }));
  assert.ok(box.scrollWidth <= box.clientWidth,
    `the runs table scrolls: ${JSON.stringify(box)}`);
  assert.equal(await horizontalOverflow(page), 0);
  // Every figure of a run is on screen, with its column's name. The
  // message cell shows only when the run has a message.
  const cells = rows.first().locator('td');
  assert.equal(await cells.count(), 10);
  for (let i = 0; i < 9; i++) {
    assert.equal(await cells.nth(i).isVisible(), true, `cell ${i}`);
  }
  assert.equal(await cells.nth(3).evaluate(
    (el) => getComputedStyle(el, '::before').content), '"Pulled"');
  assert.equal(await cells.nth(5).evaluate(
    (el) => getComputedStyle(el, '::before').content), '"Created"');
  assert.equal(await cells.nth(7).evaluate(
    (el) => getComputedStyle(el, '::before').content), '"Unchanged"');
  const message = cells.nth(9);
  assert.equal(await message.isVisible(),
    (await message.textContent()) !== '');

  assert.equal(await scroll.getAttribute('tabindex'), '0');
  assert.equal(await scroll.getAttribute('aria-label'), 'Runs table');
  assert.equal(await page.getByRole('region', { name: 'Runs table' })
    .count(), 1);

  // The chart's labels are drawn at 12 CSS pixels, not scaled down.
  const heights = await page.locator('#runs-chart-svg text').evaluateAll(
    (els) => els.map((el) => el.getBoundingClientRect().height));
  assert.ok(heights.length >= 4, `${heights.length} labels`);
  for (const h of heights) assert.ok(h >= 10, `label ${h} px high`);
  assert.deepEqual(problems, []);
  await context.close();
});
