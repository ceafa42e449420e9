// SPDX-License-Identifier: MIT
// The runs view in Chromium: each row shows the records a run pulled and
// pushed, and a failed run's message is visible text in its row, not only
// a tooltip.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, setFaults, sleep, ADMIN_PASSWORD,
} from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=5,leads=0'],
    config: { enabled: 'true', direction: 'both', poll_interval: '3600' },
  });
});

after(async () => {
  if (stack) await stack.close();
});

// Wait until the page's API shows no running run, and return the runs.
async function settledRuns(page) {
  for (let i = 0; i < 120; i++) {
    const runs = await page.evaluate(
      async () => (await (await fetch('/api/runs?limit=30')).json()).runs);
    if (runs.length && runs.every((r) => r.status !== 'running')) return runs;
    await sleep(250);
  }
  throw new Error('a run is still running after 30 s');
}

test('runs show counts and messages', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  let runs = await settledRuns(page);
  const round = runs.find((r) => r.kind === 'sync' && r.counts.pulled > 0);
  assert.ok(round, `a sync round pulled records: ${JSON.stringify(runs)}`);

  await setFaults(stack.sim.url, { unavailable: 1 });
  const started = await page.evaluate(async () => {
    const session = await (await fetch('/api/session')).json();
    const res = await fetch('/api/pulls', {
      method: 'POST',
      headers: { 'X-CSRF-Token': session.csrf_token,
        'Content-Type': 'application/json' },
      body: JSON.stringify({ object: 'contacts' }),
    });
    return { status: res.status, body: await res.json() };
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  runs = await settledRuns(page);
  await setFaults(stack.sim.url, { unavailable: 0 });
  const failed = runs.find((r) => r.id === started.body.run_id);
  assert.equal(failed.status, 'failed', JSON.stringify(failed));
  assert.ok(failed.message, JSON.stringify(failed));

  await page.getByRole('link', { name: 'Runs' }).click();
  const headers = await page.locator('#runs-table thead th')
    .allTextContents();
  assert.deepEqual(headers, ['Started', 'Kind', 'Status', 'Pulled', 'Pushed',
    'Created', 'Updated', 'Unchanged', 'Errors', 'Message']);

  const failedRow = page.locator('#runs-table tbody tr')
    .filter({ hasText: 'failed' }).first();
  await failedRow.waitFor();
  const messageCell = failedRow.locator('td').nth(9);
  assert.equal(await messageCell.isVisible(), true);
  const shownMessage = await messageCell.locator('.run-message-text')
    .textContent();
  assert.ok(shownMessage.length > 0);
  assert.equal(shownMessage.toLowerCase().replace(/\.$/, ''),
    failed.message.toLowerCase().replace(/\.$/, ''));
  assert.equal(await failedRow.getAttribute('title'), null);

  const roundRow = page.locator('#runs-table tbody tr')
    .filter({ hasText: 'Sync' }).filter({ hasNotText: 'failed' }).last();
  const cells = roundRow.locator('td');
  assert.ok(Number(await cells.nth(3).innerText()) > 0, 'pulled');
  assert.match(await cells.nth(4).innerText(), /^\d+$/);
  assert.deepEqual(problems, []);
  await context.close();
});
