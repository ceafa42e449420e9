// SPDX-License-Identifier: MIT
// The Lead fields of the contact form in Chromium: lead status, lead
// source and owner reach sfsim, a bad owner is named before anything is
// sent, and a failed push is retried from its row on the Sync errors
// page. The server is connected with client credentials and has pulled
// sfsim's Leads before it starts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, clientCredentials, api, V, sleep,
  horizontalOverflow, AGENT_PASSWORD, PHONE, SALES_USER,
} from './lib.mjs';

let stack;
let token;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=5,leads=30'],
    config: { objects: 'contacts,leads' },
    pulls: ['leads'],
  });
  ({ access_token: token } = await clientCredentials(stack.sim.url));
});

after(async () => {
  if (stack) await stack.close();
});

async function query(soql) {
  const res = await api(stack.sim.url, token, 'GET',
    `${V}/query?q=${encodeURIComponent(soql)}`);
  assert.equal(res.status, 200, res.text);
  return res.body.records;
}

// The offset-th Lead of sfsim whose full name no other Lead's name,
// company or email contains, so that searching for it finds one contact.
async function someSimLead(offset) {
  const records = await query('SELECT Id, FirstName, LastName, Company, '
    + 'Email FROM Lead WHERE FirstName != null ORDER BY Id');
  const haystack = (r) => [`${r.FirstName} ${r.LastName}`, r.Email,
    r.Company].filter(Boolean).join('\n').toLowerCase();
  const unique = records.filter((r) => {
    const name = `${r.FirstName} ${r.LastName}`.toLowerCase();
    return records.every((o) => o === r || !haystack(o).includes(name));
  });
  assert.ok(unique.length > offset, `only ${unique.length} unique names`);
  return unique[offset];
}

async function openBySearch(page, text) {
  await page.goto(`${stack.server.url}/#contacts`);
  await page.getByLabel('Search').fill(text);
  await page.locator('#contacts-status').filter({ hasText: /^1 contact / })
    .waitFor();
  await page.locator('#contacts-table tbody tr').first().getByRole('link')
    .first().click();
  await page.locator('#contact-save').waitFor();
}

// Poll sfsim until the Lead's fields equal expected, or fail after 10 s.
async function waitForLead(id, expected) {
  let last = null;
  for (let i = 0; i < 100; i++) {
    const res = await api(stack.sim.url, token, 'GET',
      `${V}/sobjects/Lead/${id}?fields=${Object.keys(expected).join(',')}`);
    assert.equal(res.status, 200, res.text);
    last = res.body;
    if (Object.entries(expected).every(([k, v]) => last[k] === v)) return;
    await sleep(100);
  }
  assert.fail(`Lead ${id} holds ${JSON.stringify(last)}, expected `
    + JSON.stringify(expected));
}

test('lead fields edited reach sfsim', async () => {
  const [rep] = await query(
    `SELECT Id FROM User WHERE Username = '${SALES_USER}'`);
  const lead = await someSimLead(0);
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'bob', AGENT_PASSWORD);
  await openBySearch(page, `${lead.FirstName} ${lead.LastName}`);

  await page.getByLabel('Lead status').fill('Working - Contacted');
  await page.getByLabel('Lead source').fill('Partner Referral');
  await page.getByLabel('Owner (Salesforce user id)').fill(rep.Id);
  await page.getByRole('button', { name: 'Save contact' }).click();
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();
  await waitForLead(lead.Id, {
    Status: 'Working - Contacted', LeadSource: 'Partner Referral',
    OwnerId: rep.Id,
  });
  // The saved values show when the contact is opened again.
  await page.reload();
  await page.waitForFunction(
    () => document.getElementById('c-lead_status').value !== '');
  assert.equal(await page.getByLabel('Lead status').inputValue(),
    'Working - Contacted');
  assert.equal(await page.getByLabel('Owner (Salesforce user id)')
    .inputValue(), rep.Id);
  await screenshot(page, 'contact-lead-fields');
  assert.deepEqual(problems, []);
  await context.close();
});

test('bad owner named on phone, then retried', async () => {
  const lead = await someSimLead(1);
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'bob', AGENT_PASSWORD, { viewport: PHONE });
  await openBySearch(page, `${lead.FirstName} ${lead.LastName}`);
  assert.equal(await horizontalOverflow(page), 0);

  // From the keyboard: Lead source, then Tab to the owner.
  await page.getByLabel('Lead source').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id),
    'c-owner');
  await page.keyboard.type('bob');
  await page.keyboard.press('Enter');
  const error = page.locator('#c-owner-error');
  await error.filter({ hasText: /./ }).waitFor();
  assert.match(await error.textContent(), /^Owner 'bob' is not a Salesforce user id/);
  assert.equal(await page.locator('#c-owner').getAttribute('aria-invalid'),
    'true');
  assert.equal(await page.evaluate(() => document.activeElement.id),
    'c-owner');
  await screenshot(page, 'contact-owner-error-phone');
  // Nothing was sent.
  const [stored] = await query(`SELECT OwnerId FROM Lead WHERE Id = '${lead.Id}'`);
  assert.notEqual(stored.OwnerId, 'bob');

  // A well-formed id of no User: the push fails for good.
  await page.locator('#c-owner').fill('005000000000991');
  await page.keyboard.press('Enter');
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();
  assert.equal(await page.locator('#c-owner-error').textContent(), '');

  await page.goto(`${stack.server.url}/#errors`);
  const row = page.locator('#errors-list li')
    .filter({ hasText: 'INVALID_CROSS_REFERENCE_KEY' });
  for (let i = 0; i < 50 && await row.count() === 0; i++) {
    await sleep(200);
    await page.reload();
    await page.locator('#errors-status').filter({ hasText: /./ }).waitFor();
  }
  const retry = row.first().getByRole('button', { name: /^Retry error \d+$/ });
  const name = await retry.textContent();
  const id = /(\d+)$/.exec(name)[1];
  assert.equal(await horizontalOverflow(page), 0);
  await screenshot(page, 'errors-retry-phone');
  await retry.focus();
  await page.keyboard.press('Enter');
  await page.locator('#toast').filter({ hasText: `Error ${id} marked for retry` })
    .waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id),
    'errors-title');

  // The woken round fails again and records a new permanent error, which
  // Retry all marks.
  const retryAll = page.getByRole('button', { name: 'Retry all' });
  for (let i = 0; i < 50 && !await retryAll.isVisible(); i++) {
    await sleep(200);
    await page.reload();
    await page.locator('#errors-status').filter({ hasText: /./ }).waitFor();
  }
  assert.equal(await row.first().getByRole('button', { name: /^Retry error/ })
    .isVisible(), true);
  await retryAll.click();
  await page.locator('#toast').filter({ hasText: '1 error marked for retry' })
    .waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});
