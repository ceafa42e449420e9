// SPDX-License-Identifier: MIT
// A pull that the server rejects with 409 not_connected, because the
// connection changed after the page loaded it, makes the page reload the
// integration, so its state and the disabled pull buttons show without a
// page reload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, ADMIN_PASSWORD,
} from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({});
});

after(async () => {
  if (stack) await stack.close();
});

test('refused pull reloads the connection', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await page.locator('#conn-details').waitFor();
  const pull = page.getByRole('button', { name: 'Pull Contacts' });
  assert.equal(await pull.isDisabled(), false);

  // A disconnect outside this page, as from another admin's browser: the
  // page still shows the connection.
  const status = await page.evaluate(async () => {
    const session = await (await fetch('/api/session')).json();
    const res = await fetch('/api/integration/disconnect', {
      method: 'POST', headers: { 'X-CSRF-Token': session.csrf_token },
    });
    return res.status;
  });
  assert.ok(status >= 200, `disconnect returned ${status}`);
  assert.ok(status < 300, `disconnect returned ${status}`);
  assert.equal(await page.locator('#conn-details').isVisible(), true);

  await pull.click();
  await page.locator('#pull-label')
    .filter({ hasText: 'Pull of Contacts did not start' }).waitFor();
  await page.locator('#conn-none').waitFor();
  assert.equal(await page.locator('#conn-details').isVisible(), false);
  assert.equal(await page.getByRole('button', {
    name: 'Connect to Salesforce' }).isVisible(), true);
  for (const name of ['Pull Contacts', 'Pull Leads']) {
    assert.equal(await page.getByRole('button', { name }).isDisabled(), true,
      name);
  }
  assert.equal(await page.locator('#pull-hint').innerText(),
    'Connect to Salesforce first.');
  await screenshot(page, 'pull-refused');
  assert.deepEqual(problems, []);
  await context.close();
});
