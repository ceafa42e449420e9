// SPDX-License-Identifier: MIT
// A broken Salesforce connection shows on every view, not only on the
// Integration view: a banner under the header with a link to the
// Integration view, a mark on its nav link, and a saved contact's message
// that says the change does not reach Salesforce.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, setFaults, horizontalOverflow, watchPage,
  ADMIN_PASSWORD, AGENT_PASSWORD, PHONE,
} from './lib.mjs';

// The page polls every 15 s; allow one missed tick on a busy machine.
const BANNER_TIMEOUT_MS = 35000;

let stack;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=3,leads=0'],
    pulls: ['contacts'],
  });
});

after(async () => {
  if (stack) await stack.close();
});

// Make the server's next check of the connection fail without Salesforce
// rejecting the sign-in: the token expires and the token endpoint returns
// a maintenance page. An admin's session starts the check.
async function failConnectionCheck() {
  const admin = await signIn(stack.browser, stack.server.url, 'ada',
    ADMIN_PASSWORD);
  await setFaults(stack.sim.url, { 'expire-after': 1, html: 1 });
  const reply = await admin.page.evaluate(async () => {
    const session = await (await fetch('/api/session')).json();
    const res = await fetch('/api/integration/verify', {
      method: 'POST', headers: { 'X-CSRF-Token': session.csrf_token },
    });
    return { status: res.status, body: await res.json() };
  });
  await admin.context.close();
  return reply;
}

test('broken connection shows on every view', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'bob', AGENT_PASSWORD);
  await page.goto(`${stack.server.url}/#contacts`);
  await page.locator('#contacts-table tbody tr').first().waitFor();
  const banner = page.locator('#conn-banner');
  const marker = page.locator('#nav-conn-marker');
  assert.equal(await banner.isVisible(), false);
  assert.equal(await marker.isVisible(), false);

  const reply = await failConnectionCheck();
  assert.equal(reply.status, 200);
  const c = reply.body.connection;
  assert.equal(c.healthy, false);
  assert.equal(c.needs_reconnect, false);
  assert.ok(c.problem_at, JSON.stringify(c));
  assert.ok(Math.abs(Date.parse(c.problem_at) - Date.now()) < 60000,
    c.problem_at);

  // Only the page's timer can show it: this page started nothing.
  await banner.waitFor({ timeout: BANNER_TIMEOUT_MS });
  assert.equal(await banner.getAttribute('role'), 'status');
  const text = await banner.innerText();
  assert.match(text, /The last check of the connection with Salesforce failed at /);
  assert.match(text, /Ask an admin to reconnect/);
  assert.equal(await marker.isVisible(), true);
  const nav = page.getByRole('link', { name: /Integration/ }).first();
  assert.match(await nav.innerText(), /!/);
  assert.match(await nav.textContent(), /connection problem/);
  await screenshot(page, 'banner-contacts');

  for (const view of ['Runs', 'Sync errors']) {
    await page.getByRole('link', { name: view, exact: true }).click();
    await page.locator('.view:not([hidden]) h1').waitFor();
    assert.equal(await banner.isVisible(), true, view);
  }

  // An agent's save says that the change stays here.
  await page.goto(`${stack.server.url}/#contacts`);
  await page.locator('#contacts-table tbody a').first().click();
  await page.getByLabel('Title').fill('Buyer');
  await page.getByRole('button', { name: 'Save contact' }).click();
  const saved = page.locator('#contact-message');
  await saved.filter({ hasText: 'Contact saved' }).waitFor();
  assert.match(await saved.innerText(), /not sent to Salesforce/);
  assert.match(await saved.innerText(), /Ask an admin to reconnect/);
  assert.equal(await banner.isVisible(), true);

  // The banner's link is reachable with the keyboard and leads to the
  // Integration view, whose card shows the problem in place of the banner.
  await page.locator('#conn-banner-link').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL('**/#integration');
  await page.locator('#conn-warning').waitFor();
  assert.equal(await banner.isVisible(), false);
  assert.equal(await marker.isVisible(), true);
  assert.deepEqual(problems, []);
  await context.close();
});

test('banner fits a phone in the dark scheme', async () => {
  const context = await stack.browser.newContext({ viewport: PHONE,
    colorScheme: 'dark' });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`${stack.server.url}/#runs`);
  await page.getByLabel('Username').fill('ada');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const banner = page.locator('#conn-banner');
  await banner.waitFor();
  assert.match(await banner.innerText(), /Reconnect on the Integration view/);
  assert.equal(await horizontalOverflow(page), 0);
  await screenshot(page, 'banner-runs-phone-dark');
  await setFaults(stack.sim.url, { 'expire-after': 0, html: 0 });
  assert.deepEqual(problems, []);
  await context.close();
});
