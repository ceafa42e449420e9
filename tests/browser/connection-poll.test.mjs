// SPDX-License-Identifier: MIT
// The integration view re-reads the connection on a timer: a failed check
// of the connection shows its warning and Reconnect without a click or a
// reload, and an unsaved edit of the settings form stays.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, setFaults, ADMIN_PASSWORD,
} from './lib.mjs';

// The page polls every 15 s; allow one missed tick on a busy machine.
const WARNING_TIMEOUT_MS = 35000;

let stack;

before(async () => {
  stack = await startStack({});
});

after(async () => {
  if (stack) await stack.close();
});

test('failed check shows without a reload', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await page.locator('#conn-details').waitFor();
  assert.equal(await page.locator('#conn-warning').isVisible(), false);
  await page.locator('#set-poll').fill('45');

  // The token expires and the token endpoint returns a maintenance page.
  // The server finds out through a check that this page did not start, so
  // only the timer can redraw the card.
  await setFaults(stack.sim.url, { 'expire-after': 1, html: 1 });
  const status = await page.evaluate(async () => {
    const session = await (await fetch('/api/session')).json();
    const res = await fetch('/api/integration/verify', {
      method: 'POST', headers: { 'X-CSRF-Token': session.csrf_token },
    });
    return res.status;
  });
  assert.equal(status, 200);
  assert.equal(await page.locator('#conn-warning').isVisible(), false);

  await page.locator('#conn-warning').waitFor({ timeout: WARNING_TIMEOUT_MS });
  assert.match(await page.locator('#conn-warning').innerText(),
    /The last check of the connection with Salesforce failed/);
  assert.equal(await page.getByRole('button', { name: 'Reconnect' })
    .isVisible(), true);
  assert.equal(await page.locator('#set-poll').inputValue(), '45');
  await screenshot(page, 'integration-broken-polled');
  assert.deepEqual(problems, []);
  await context.close();
});
