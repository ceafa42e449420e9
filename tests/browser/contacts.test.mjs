// SPDX-License-Identifier: MIT
// Contacts in Chromium: search, an edit that reaches sfsim, "Open in
// Salesforce", a version conflict, delete, and keyboard-only use of the
// main actions. The server is connected with client credentials and has
// pulled sfsim's Contacts before it starts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, openContext, screenshot, clientCredentials, api, V,
  sleep, setFaults, watchPage, ADMIN_PASSWORD,
} from './lib.mjs';

let stack;
let token;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=60,leads=5'],
    // Leads stay out, so that the list contains exactly sfsim's 60 Contacts.
    config: { objects: 'contacts' },
    pulls: ['contacts'],
  });
  ({ access_token: token } = await clientCredentials(stack.sim.url));
});

after(async () => {
  if (stack) await stack.close();
});

// The offset-th Contact of sfsim whose full name no other Contact's name,
// company or email contains, so that searching for it finds one contact.
async function someSimContact(offset = 0) {
  const soql = 'SELECT Id, FirstName, LastName, Title, Email, Account.Name '
    + 'FROM Contact WHERE FirstName != null ORDER BY Id';
  const res = await api(stack.sim.url, token, 'GET',
    `${V}/query?q=${encodeURIComponent(soql)}`);
  assert.equal(res.status, 200, res.text);
  const records = res.body.records;
  const haystack = (r) => [`${r.FirstName} ${r.LastName}`, r.Email,
    r.Account && r.Account.Name].filter(Boolean).join('\n').toLowerCase();
  const unique = records.filter((r) => {
    const name = `${r.FirstName} ${r.LastName}`.toLowerCase();
    return records.every((o) => o === r || !haystack(o).includes(name));
  });
  assert.ok(unique.length > offset, `only ${unique.length} unique names`);
  return unique[offset];
}

async function simTitle(id) {
  const res = await api(stack.sim.url, token, 'GET',
    `${V}/sobjects/Contact/${id}?fields=Title`);
  assert.equal(res.status, 200, res.text);
  return res.body.Title;
}

// Search the contacts list for text and open the only match.
async function openBySearch(page, text) {
  await page.goto(`${stack.server.url}/#contacts`);
  await page.getByLabel('Search').fill(text);
  const rows = page.locator('#contacts-table tbody tr');
  await page.locator('#contacts-status').filter({ hasText: /^1 contact / })
    .waitFor();
  assert.equal(await rows.count(), 1);
  await rows.first().getByRole('link').first().click();
  await page.locator('#contact-save').waitFor();
}

test('contacts list pages and searches', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await page.goto(`${stack.server.url}/#contacts`);
  const status = page.locator('#contacts-status');
  await status.filter({ hasText: /^\d+ contacts$/ }).waitFor();
  assert.equal(await status.textContent(), '60 contacts');
  assert.equal(await page.locator('#contacts-table tbody tr').count(), 25);
  assert.equal(await page.locator('#contacts-page').textContent(), '1–25 of 60');
  await screenshot(page, 'contacts');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.locator('#contacts-page').filter({ hasText: '26–50 of 60' })
    .waitFor();

  const rec = await someSimContact();
  const searches = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/contacts?')) searches.push(r.url());
  });
  await page.getByLabel('Search').pressSequentially(rec.LastName,
    { delay: 20 });
  await status.filter({ hasText: rec.LastName }).waitFor();
  assert.equal(searches.length, 1, `one request for the typed word: ${searches}`);
  assert.match(searches[0], new RegExp(`q=${encodeURIComponent(rec.LastName)}`));
  assert.match(searches[0], /offset=0/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('contact edit arrives in sfsim', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  const rec = await someSimContact(1);
  await openBySearch(page, `${rec.FirstName} ${rec.LastName}`);
  assert.equal(await page.getByLabel('First name').inputValue(), rec.FirstName);
  await page.getByLabel('Title').fill('Head of Browser Tests');
  await page.getByRole('button', { name: 'Save contact' }).click();
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();
  await screenshot(page, 'contact-saved');

  let title = null;
  for (let i = 0; i < 100 && title !== 'Head of Browser Tests'; i++) {
    title = await simTitle(rec.Id);
    if (title !== 'Head of Browser Tests') await sleep(200);
  }
  assert.equal(title, 'Head of Browser Tests', 'the push reached sfsim');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a slow contact load keeps its form closed', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  const rec = await someSimContact(4);
  await page.goto(`${stack.server.url}/#contacts`);
  await page.getByLabel('Search').fill(`${rec.FirstName} ${rec.LastName}`);
  await page.locator('#contacts-status').filter({ hasText: /^1 contact / })
    .waitFor();
  let openGate;
  const gate = new Promise((resolve) => { openGate = resolve; });
  await page.route(/\/api\/contacts\/\d+$/, async (route) => {
    await gate;
    await route.continue();
  });
  await page.locator('#contacts-table tbody a').first().click();
  await page.locator('#contact-title')
    .filter({ hasText: 'Loading the contact' }).waitFor();
  assert.equal(await page.getByLabel('Title').isVisible(), false);
  assert.equal(await page.locator('#contact-save').isVisible(), false);

  // Typing waits for the stored values instead of being overwritten.
  openGate();
  await page.getByLabel('Title').fill('Typed While Loading');
  assert.equal(await page.getByLabel('First name').inputValue(), rec.FirstName);
  await page.getByRole('button', { name: 'Save contact' }).click();
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();
  assert.equal(await page.getByLabel('Title').inputValue(),
    'Typed While Loading');
  await page.unroute(/\/api\/contacts\/\d+$/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('Open in Salesforce lands on the record page', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  const rec = await someSimContact(2);
  await openBySearch(page, `${rec.FirstName} ${rec.LastName}`);
  const link = page.getByRole('link', { name: /^Open in Salesforce/ });
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener');
  const [tab] = await Promise.all([
    context.waitForEvent('page'),
    link.click(),
  ]);
  await tab.waitForLoadState();
  assert.equal(tab.url(),
    `${stack.sim.url}/lightning/r/Contact/${rec.Id}/view`);
  assert.equal((await tab.locator('h1').textContent()).trim(),
    `${rec.FirstName} ${rec.LastName}`);
  await screenshot(tab, 'sfsim-record-page');
  assert.deepEqual(problems, []);
  await context.close();
});

test('version conflict offers a reload', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  const rec = await someSimContact(3);
  await openBySearch(page, `${rec.FirstName} ${rec.LastName}`);
  const id = /#contacts\/(\d+)$/.exec(page.url())[1];

  // Another writer changes the contact while the form is open.
  await stack.server.run(['contacts', 'update', id, '--title', 'Changed Elsewhere']);
  await page.getByLabel('Title').fill('Changed Here');
  await page.getByRole('button', { name: 'Save contact' }).click();
  const alert = page.locator('#contact-conflict');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Someone else changed this contact/);
  await screenshot(page, 'contact-conflict');

  await page.getByRole('button', { name: 'Reload and discard my edits' })
    .click();
  await page.waitForFunction(() => document.getElementById('c-title').value
    === 'Changed Elsewhere');
  assert.equal(await alert.isVisible(), false);
  await page.getByLabel('Title').fill('Changed Here');
  await page.getByRole('button', { name: 'Save contact' }).click();
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('contact add and delete with confirmation', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await page.goto(`${stack.server.url}/#contacts`);
  await page.getByRole('link', { name: 'Add contact' }).click();
  await page.getByLabel('Email', { exact: true }).fill('not an email');
  await page.getByLabel('Last name').fill('Quist');
  await page.getByRole('button', { name: 'Add contact' }).click();
  const emailError = page.locator('#c-email-error');
  await emailError.filter({ hasText: /./ }).waitFor();
  assert.match(await emailError.textContent(), /email/);
  await screenshot(page, 'contact-invalid');

  await page.getByLabel('Email', { exact: true }).fill('quist@example.com');
  await page.getByRole('button', { name: 'Add contact' }).click();
  await page.waitForURL(/#contacts\/\d+$/);
  await page.locator('#contact-title').filter({ hasText: 'Quist' }).waitFor();

  await page.getByRole('button', { name: 'Delete contact' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await page.waitForURL(/#contacts$/);
  await page.getByLabel('Search').fill('Quist');
  await page.locator('#contacts-status').filter({ hasText: /^No contacts/ })
    .waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

// Press Tab (or key) until the focused element matches selector; fails
// after max presses, so an element that Tab never reaches fails the test.
async function tabTo(page, selector, { max = 60, key = 'Tab' } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (await page.evaluate((s) => document.activeElement
      && document.activeElement.matches(s), selector)) {
      return;
    }
  }
  assert.fail(`Tab never reached ${selector}`);
}

// The focused element shows a focus ring (an outline of some width).
async function focusRingWidth(page) {
  return page.evaluate(() => parseFloat(
    getComputedStyle(document.activeElement).outlineWidth) || 0);
}

test('main actions work with the keyboard alone', async () => {
  const context = await openContext(stack.browser);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`${stack.server.url}/`);
  await page.locator('#signin-form').waitFor();

  // The sign-in form takes focus at once; before it is the skip link,
  // which shows when focused and moves focus to the content.
  assert.equal(await page.evaluate(() => document.activeElement.id),
    'signin-username');
  await tabTo(page, '.skip', { max: 5, key: 'Shift+Tab' });
  const skipTop = await page.evaluate(
    () => document.activeElement.getBoundingClientRect().top);
  assert.ok(skipTop >= 0, `the focused skip link is on screen (top ${skipTop})`);
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  assert.equal(await page.locator('#signin-form').isVisible(), true);

  await tabTo(page, '#signin-username');
  await page.keyboard.type('ada');
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN_PASSWORD);
  await page.keyboard.press('Enter');
  await page.locator('#who-name').filter({ hasText: 'ada' }).waitFor();

  // A pull, started from the keyboard.
  await tabTo(page, '#pull-contacts');
  assert.ok(await focusRingWidth(page) >= 2, 'the button shows its focus');
  await screenshot(page, 'keyboard-focus');
  await page.keyboard.press('Enter');
  await page.locator('#pull-label').filter({ hasText: 'Pull of Contacts' })
    .waitFor({ timeout: 30000 });

  // To the contacts, a search and one contact, edited and saved.
  await tabTo(page, 'nav a[href="#contacts"]');
  await page.keyboard.press('Enter');
  await page.locator('#contacts-status').filter({ hasText: 'contacts' })
    .waitFor();
  const rec = await someSimContact(4);
  await tabTo(page, '#contacts-search');
  await page.keyboard.type(`${rec.FirstName} ${rec.LastName}`);
  await page.locator('#contacts-status').filter({ hasText: /^1 contact / })
    .waitFor();
  await tabTo(page, '#contacts-table tbody a[href^="#contacts/"]');
  await page.keyboard.press('Enter');
  await page.locator('#contact-save').waitFor();
  await page.waitForFunction((n) => document.getElementById('c-first_name')
    .value === n, rec.FirstName);
  await tabTo(page, '#c-title');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Keyboard Champion');
  await page.keyboard.press('Enter');
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();

  // Delete asks first, and Escape cancels.
  await tabTo(page, '#contact-delete');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id),
    'confirm-cancel');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.id),
    'contact-delete');

  // Sign out from the keyboard.
  await tabTo(page, '#sign-out');
  await page.keyboard.press('Enter');
  await page.locator('#signin-form').waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('retryable sync error needs no Retry', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  // With every record write locked in sfsim, the push of this edit fails
  // with UNABLE_TO_LOCK_ROW and records a sync error.
  await setFaults(stack.sim.url, { lock: 1 });
  const rec = await someSimContact(5);
  await openBySearch(page, `${rec.FirstName} ${rec.LastName}`);
  const id = /#contacts\/(\d+)$/.exec(page.url())[1];
  await page.getByLabel('Title').fill('Locked Out');
  await page.getByRole('button', { name: 'Save contact' }).click();
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();

  await page.getByRole('link', { name: 'Sync errors' }).click();
  const item = page.locator('#errors-list li')
    .filter({ hasText: 'UNABLE_TO_LOCK_ROW' });
  for (let i = 0; i < 50 && await item.count() === 0; i++) {
    await sleep(200);
    await page.reload();
    await page.locator('#errors-status').filter({ hasText: /./ }).waitFor();
  }
  await setFaults(stack.sim.url, { lock: 0 });
  await item.first().waitFor();
  assert.equal(await item.first().getByRole('link').getAttribute('href'),
    `#contacts/${id}`);
  await screenshot(page, 'errors');

  // UNABLE_TO_LOCK_ROW is retried by the next round anyway, so neither
  // the row nor the list offers a retry that would mark nothing.
  assert.equal(await item.first().getByRole('button').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Retry all' })
    .isVisible(), false);
  assert.doesNotMatch(await item.first().textContent(), /will not retry/);
  assert.deepEqual(problems, []);
  await context.close();
});
