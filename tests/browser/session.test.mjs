// SPDX-License-Identifier: MIT
// Sign-in, sign-out, roles and the phone layout of the admin page, in
// Chromium against a real sfsync serve connected to a real sfsim.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, openContext, screenshot, horizontalOverflow,
  watchPage, ADMIN_PASSWORD, AGENT_PASSWORD, PHONE,
} from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({ simArgs: ['--generate', 'contacts=40,leads=10'],
    pulls: ['contacts'] });
});

after(async () => {
  if (stack) await stack.close();
});

test('sign-in with a wrong password shows the failure', async () => {
  const context = await openContext(stack.browser);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`${stack.server.url}/`);
  const form = page.locator('#signin-form');
  await form.waitFor();
  await screenshot(page, 'signin');
  await page.getByLabel('Username').fill('ada');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.locator('#signin-message');
  await alert.filter({ hasText: 'wrong' }).waitFor();
  assert.equal(await alert.textContent(), 'The username or password is wrong.');
  assert.equal(await page.locator('#who').isVisible(), false);
  await screenshot(page, 'signin-failed');
  assert.deepEqual(problems, []);
  await context.close();
});

test('admin signs in and sees user and role', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  assert.equal(await page.locator('#who-role').textContent(), 'admin');
  await page.locator('#conn-org').filter({ hasText: /^00D/ }).waitFor();
  assert.equal(await page.locator('#conn-user').textContent(),
    'integration@sfsim.local');
  assert.equal(await page.locator('#settings-fields')
    .evaluate((el) => el.disabled), false);
  assert.equal(await page.getByRole('button', { name: 'Save settings' })
    .isVisible(), true);
  assert.equal(await page.getByRole('button', { name: 'Disconnect' })
    .isVisible(), true);
  await screenshot(page, 'integration-admin');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'integration-admin-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#signin-form').waitFor();
  assert.equal(await page.locator('#who').isVisible(), false);
  const res = await page.evaluate(async () => (await fetch('/api/session')).status);
  assert.equal(res, 401, 'the session is gone on the server too');
  assert.deepEqual(problems, []);
  await context.close();
});

test('agent cannot change settings', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'bob', AGENT_PASSWORD);
  assert.equal(await page.locator('#who-role').textContent(), 'agent');
  await page.locator('#conn-org').filter({ hasText: /^00D/ }).waitFor();
  assert.equal(await page.locator('#set-readonly').isVisible(), true);
  assert.equal(await page.locator('#settings-fields')
    .evaluate((el) => el.disabled), true);
  assert.equal(await page.getByLabel('Direction').isDisabled(), true);
  for (const name of ['Save settings', 'Disconnect', 'Reconnect',
    'Connect to Salesforce']) {
    assert.equal(await page.getByRole('button', { name }).isVisible(), false,
      `${name} is hidden from an agent`);
  }
  assert.equal(await page.getByRole('button', { name: 'Pull Leads' })
    .isEnabled(), true, 'an agent may start pulls');
  await screenshot(page, 'integration-agent');

  // The server rejects the change too, whatever the page shows.
  const status = await page.evaluate(async () => {
    const s = await (await fetch('/api/session')).json();
    const res = await fetch('/api/integration/settings', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json',
        'X-CSRF-Token': s.csrf_token },
      body: JSON.stringify({ direction: 'to-salesforce' }),
    });
    return res.status;
  });
  assert.equal(status, 403);
  assert.deepEqual(problems, []);
  await context.close();
});

test('phone width has no horizontal scroll', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD, { viewport: PHONE });
  const views = [
    ['integration', '#conn-org'],
    ['contacts', '#contacts-table tbody tr'],
    ['runs', '#runs-table'],
    ['errors', '#errors-status'],
  ];
  for (const [hash, ready] of views) {
    await page.goto(`${stack.server.url}/#${hash}`);
    await page.locator(ready).first().waitFor();
    assert.equal(await horizontalOverflow(page), 0, `#${hash} at 375 px`);
    await screenshot(page, `phone-${hash}`);
  }
  await page.goto(`${stack.server.url}/#contacts`);
  await page.locator('#contacts-table tbody a').first().click();
  await page.locator('#contact-form').waitFor();
  await page.getByLabel('Last name').waitFor();
  assert.equal(await horizontalOverflow(page), 0, 'contact form at 375 px');
  await screenshot(page, 'phone-contact');
  assert.deepEqual(problems, []);
  await context.close();
});

// Last in this file, because the slow-down also counts failures per
// client address, and every page of this file signs in from 127.0.0.1.
test('repeated failed sign-ins are throttled', async () => {
  const context = await openContext(stack.browser);
  const page = await context.newPage();
  await page.goto(`${stack.server.url}/`);
  await page.getByLabel('Username').fill('bob');
  const alert = page.locator('#signin-message');
  let text = '';
  for (let i = 0; i < 6 && !/Too many/.test(text); i++) {
    await page.getByLabel('Password').fill(`wrong ${i}`);
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/session')),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await page.locator('#signin-form button:enabled').waitFor();
    text = await alert.textContent();
  }
  assert.match(text, /^Too many failed sign-ins\. Try again in \d+ s\.$/);
  await screenshot(page, 'signin-throttled');
  await context.close();
});
