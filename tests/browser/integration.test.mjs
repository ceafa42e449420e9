// SPDX-License-Identifier: MIT
// The integration view in Chromium: connecting through sfsim's authorize
// page, saving settings, a manual pull with its progress bar, and a broken
// token with Reconnect. The tests run in order on one server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, setFaults, watchRequests,
  ADMIN_PASSWORD, SALES_USER, SALES_PASSWORD, CLIENT_ID, CLIENT_SECRET,
} from './lib.mjs';

const LEADS = 1500;

let stack;
let session;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', `contacts=20,leads=${LEADS}`],
    connect: false,
  });
  session = await signIn(stack.browser, stack.server.url, 'ada',
    ADMIN_PASSWORD);
  session.requests = watchRequests(session.page);
});

after(async () => {
  if (session) await session.context.close();
  if (stack) await stack.close();
});

// Go from the open connect form through sfsim's authorize page and back.
async function authorizeAtSfsim(page, { fillForm = true } = {}) {
  if (fillForm) {
    await page.getByLabel('Sign-in method').selectOption('authorization_code');
    await page.getByLabel('Login URL').fill(stack.sim.url);
    await page.getByLabel('Client id (consumer key)').fill(CLIENT_ID);
    await page.getByLabel('Client secret (consumer secret)').fill(CLIENT_SECRET);
  }
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${stack.sim.url}/services/oauth2/authorize?**`);
  await page.locator('#username').fill(SALES_USER);
  await page.locator('#password').fill(SALES_PASSWORD);
  await screenshot(page, 'sfsim-authorize');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${stack.server.url}/#integration**`);
}

test('connect through the authorize page', async () => {
  const { page } = session;
  await page.locator('#conn-none').waitFor();
  await screenshot(page, 'integration-not-connected');
  await page.getByRole('button', { name: 'Connect to Salesforce' }).click();
  await authorizeAtSfsim(page);
  await page.locator('#conn-user').filter({ hasText: SALES_USER }).waitFor();
  assert.equal(await page.locator('#conn-message').textContent(),
    'Connected to Salesforce.');
  // The page drops the callback's fragment, so a reload shows no message.
  assert.equal(new URL(page.url()).hash, '#integration');
  assert.match(await page.locator('#conn-org').textContent(), /^00D/);
  assert.equal(await page.locator('#conn-instance').textContent(),
    stack.sim.url);
  assert.notEqual(await page.locator('#conn-verified').textContent(), '');
  assert.equal(await page.locator('#conn-warning').isVisible(), false);
  await screenshot(page, 'integration-connected');
});

test('settings change is saved and survives a reload', async () => {
  const { page } = session;
  await page.getByLabel('Check Salesforce every (seconds)').fill('0');
  await page.getByRole('button', { name: 'Save settings' }).click();
  const pollError = page.locator('#set-poll_interval-error');
  await pollError.filter({ hasText: /./ }).waitFor();
  assert.equal(await pollError.textContent(),
    'Enter a whole number of seconds from 1 to 86400.');
  assert.equal(await page.locator('#set-poll').getAttribute('aria-invalid'),
    'true');
  await screenshot(page, 'settings-invalid');

  await page.getByLabel('Direction').selectOption('from-salesforce');
  // A long interval keeps scheduled rounds out of the pull test below.
  await page.getByLabel('Check Salesforce every (seconds)').fill('3600');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('#set-message').filter({ hasText: 'Settings saved.' })
    .waitFor();
  assert.equal(await pollError.textContent(), '');

  await page.reload();
  await page.locator('#conn-user').filter({ hasText: SALES_USER }).waitFor();
  assert.equal(await page.getByLabel('Direction').inputValue(),
    'from-salesforce');
  assert.equal(await page.getByLabel('Check Salesforce every (seconds)')
    .inputValue(), '3600');
  const selected = await page.locator('#set-direction option:checked')
    .textContent();
  assert.match(selected, /Only take changes from\s+Salesforce/);
});

test('Pull Leads shows progress to the end', async () => {
  const { page } = session;
  // Wait out the round that connecting started, so that the pull is not
  // refused as already running.
  await page.waitForFunction(async () => {
    const res = await fetch('/api/integration');
    const body = await res.json();
    return !body.sync || !body.sync.running;
  }, null, { polling: 250, timeout: 30000 });
  // Small pages with latency make the pull take a few seconds.
  await setFaults(stack.sim.url, { 'max-page-size': 100, latency: 150 });
  await page.evaluate(() => {
    window.progressSamples = [];
    const bar = document.getElementById('pull-bar');
    new MutationObserver(() => {
      window.progressSamples.push({
        now: bar.getAttribute('aria-valuenow'),
        max: bar.getAttribute('aria-valuemax'),
        text: bar.getAttribute('aria-valuetext'),
      });
    }).observe(bar, { attributes: true });
  });
  await page.getByRole('button', { name: 'Pull Leads' }).click();
  await page.locator('#pull-label').filter({ hasText: 'Pull of Leads' })
    .waitFor({ timeout: 60000 });
  await setFaults(stack.sim.url, { 'max-page-size': 0, latency: 0 });
  await screenshot(page, 'pull-leads-done');

  assert.equal(await page.locator('#pull-label').textContent(),
    'Pull of Leads finished');
  assert.equal(await page.locator('#pull-count').textContent(),
    `${LEADS.toLocaleString('en-US')} / ${LEADS.toLocaleString('en-US')}`);
  const bar = page.locator('#pull-bar');
  assert.equal(await bar.getAttribute('aria-valuenow'), String(LEADS));
  assert.equal(await bar.getAttribute('aria-valuemax'), String(LEADS));
  const result = await page.locator('#pull-result').textContent();
  const m = /^([\d,]+) created, ([\d,]+) updated, ([\d,]+) unchanged, 0 skipped, 0 errors$/
    .exec(result);
  assert.ok(m, `pull result: ${result}`);
  const count = (i) => Number(m[i].replaceAll(',', ''));
  assert.equal(count(1) + count(2) + count(3), LEADS);

  const samples = await page.evaluate(() => window.progressSamples);
  const partial = samples.filter((s) => s.max !== null
    && Number(s.now) > 0 && Number(s.now) < Number(s.max));
  assert.ok(partial.length > 0,
    `the bar showed progress before the end: ${JSON.stringify(samples)}`);
  assert.equal(await page.getByRole('button', { name: 'Pull Leads' })
    .isEnabled(), true);
});

test('runs view lists and charts the pull', async () => {
  const { page } = session;
  await page.getByRole('link', { name: 'Runs' }).click();
  const row = page.locator('#runs-table tbody tr')
    .filter({ hasText: 'Pull Leads' }).first();
  await row.waitFor();
  assert.equal(await row.locator('td').nth(2).textContent(), 'ok');
  const bars = page.locator('#runs-chart-svg svg rect');
  assert.ok(await bars.count() > 0, 'the chart has bars');
  const text = await page.locator('#runs-chart-text').textContent();
  // The scheduled round that connecting started may have stored the Leads
  // before the manual pull, so the runs share them between them.
  const m = /^(\d+) runs moved (\d+) records\. /.exec(text);
  assert.ok(m, text);
  assert.ok(Number(m[2]) >= LEADS, text);
  assert.match(text, /Pull Leads: \d+ from Salesforce, 0 to Salesforce/);
  await screenshot(page, 'runs');
  await page.getByRole('link', { name: 'Integration' }).click();
  await page.locator('#conn-user').filter({ hasText: SALES_USER }).waitFor();
});

test('broken token shows the warning and Reconnect', async () => {
  const { page } = session;
  // The stored access token dies at its next call and its refresh fails,
  // as after a revocation in Salesforce.
  await setFaults(stack.sim.url, { 'expire-after': 1, 'refresh-revoked': 1 });
  await page.getByRole('button', { name: 'Check connection' }).click();
  await page.locator('#conn-warning').waitFor();
  const warning = await page.locator('#conn-warning').textContent();
  assert.match(warning, /Authentication with Salesforce failed/);
  assert.match(warning, /an admin reconnects on the Integration page/i);
  assert.doesNotMatch(warning, /sfsync connect|log in again/i);
  // The visible text is a plain sentence; the HTTP detail is folded away.
  const shown = await page.locator('#conn-warning').innerText();
  assert.match(shown, /Salesforce no longer accepts the stored sign-in/);
  assert.doesNotMatch(shown, /invalid_grant|http 400|oauth2/);
  const details = page.locator('#conn-warning-details');
  assert.equal(await details.isVisible(), true);
  await details.locator('summary').click();
  assert.match(await page.locator('#conn-warning-problem').innerText(),
    /invalid_grant/);
  // Pulls cannot run until the reconnect, and the page shows the reason.
  for (const name of ['Pull Contacts', 'Pull Leads']) {
    const button = page.getByRole('button', { name });
    assert.equal(await button.isDisabled(), true, name);
    assert.match(await button.getAttribute('aria-describedby'), /pull-hint/);
  }
  assert.match(await page.locator('#pull-hint').innerText(),
    /until an admin reconnects/);
  const reconnect = page.getByRole('button', { name: 'Reconnect' });
  assert.equal(await reconnect.isVisible(), true);
  // The Integration link carries the mark; the card, not the banner,
  // shows the problem on this view.
  assert.equal(await page.locator('#nav-conn-marker').isVisible(), true);
  assert.equal(await page.locator('#conn-banner').isVisible(), false);
  const connection = await page.evaluate(
    async () => (await (await fetch('/api/integration')).json()).connection);
  assert.equal(connection.needs_reconnect, true);
  assert.ok(connection.problem_at, JSON.stringify(connection));
  await screenshot(page, 'integration-broken');

  await setFaults(stack.sim.url, { 'expire-after': 0, 'refresh-revoked': 0 });
  // The server, not this browser's storage, gives the client id.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.locator('#conn-warning').waitFor();
  await reconnect.click();
  assert.equal(await page.getByLabel('Login URL').inputValue(), stack.sim.url);
  assert.equal(await page.getByLabel('Client id (consumer key)').inputValue(),
    CLIENT_ID);
  await authorizeAtSfsim(page, { fillForm: false });
  await page.locator('#conn-user').filter({ hasText: SALES_USER }).waitFor();
  await page.locator('#conn-verified').waitFor();
  assert.equal(await page.locator('#conn-warning').isVisible(), false);
  assert.equal(await page.locator('#nav-conn-marker').isVisible(), false);
  assert.equal(await reconnect.isVisible(), false);
  assert.equal(await page.getByRole('button', { name: 'Pull Leads' })
    .isDisabled(), false);
});

test('disconnect asks first', async () => {
  const { page } = session;
  await page.getByRole('button', { name: 'Disconnect' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await screenshot(page, 'disconnect-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.locator('#conn-details').isVisible(), true);

  await page.getByRole('button', { name: 'Disconnect' }).click();
  await dialog.getByRole('button', { name: 'Disconnect' }).click();
  await page.locator('#conn-none').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Connect to Salesforce' })
    .isVisible(), true);
});

test('denied authorization is shown', async () => {
  const { page } = session;
  await page.getByRole('button', { name: 'Connect to Salesforce' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${stack.sim.url}/services/oauth2/authorize?**`);
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForURL(`${stack.server.url}/#integration**`);
  const msg = page.locator('#conn-message');
  await msg.filter({ hasText: /^Salesforce sign-in was denied\./ }).waitFor();
  // The message may come before the connection's state has loaded.
  await page.locator('#conn-none').waitFor();
  assert.equal(await page.locator('#conn-none').isVisible(), true);
  await screenshot(page, 'integration-denied');
});

test('every change carries the CSRF token', async () => {
  const { csrf_token: token } = await session.page.evaluate(
    async () => (await fetch('/api/session')).json());
  assert.ok(token);
  const changes = session.requests.filter((r) => r.method !== 'GET'
    && r.origin === stack.server.url && r.path.startsWith('/api/')
    && r.path !== '/api/session');
  const paths = new Set(changes.map((r) => `${r.method} ${r.path}`));
  for (const expected of ['POST /api/integration/connect',
    'PATCH /api/integration/settings', 'POST /api/pulls',
    'POST /api/integration/verify', 'POST /api/integration/disconnect']) {
    assert.ok(paths.has(expected), `${expected} in ${[...paths]}`);
  }
  for (const r of changes) {
    assert.equal(r.csrf, token, `${r.method} ${r.path} carries X-CSRF-Token`);
  }
});
