// SPDX-License-Identifier: MIT
// What a link or a race can put on the page: only the page's own texts
// for the callback's error codes, no form for a contact that does not
// exist, and edits kept across a version conflict.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startStack, signIn, ADMIN_PASSWORD } from './lib.mjs';

let stack;
let session;

before(async () => {
  stack = await startStack({ connect: false });
  session = await signIn(stack.browser, stack.server.url, 'ada',
    ADMIN_PASSWORD);
});

after(async () => {
  if (session) await session.context.close();
  if (stack) await stack.close();
});

test('callback error shows only known texts', async () => {
  const { page } = session;
  const msg = page.locator('#conn-message');
  await page.goto(`${stack.server.url}/#integration?error=`
    + encodeURIComponent('Call 555-0100 to restore your account'));
  await msg.filter({ hasText: /./ }).waitFor();
  assert.doesNotMatch(await msg.textContent(), /555/);
  assert.equal(await msg.textContent(),
    'Connecting to Salesforce failed. Press Connect again.');
  await page.goto(`${stack.server.url}/#integration?error=access_denied`);
  await msg.filter({ hasText: /denied/ }).waitFor();
  // Another view clears the message.
  await page.getByRole('link', { name: 'Contacts' }).click();
  await page.getByRole('link', { name: 'Integration' }).click();
  await page.locator('#conn-none').waitFor();
  assert.equal(await msg.textContent(), '');
  assert.deepEqual(session.problems, []);
});

test('unknown contact shows no form', async () => {
  const { page } = session;
  await page.goto(`${stack.server.url}/#contacts/999999`);
  const msg = page.locator('#contact-message');
  await msg.filter({ hasText: /not found/ }).waitFor();
  assert.equal(await page.locator('#contact-fields').isVisible(), false);
  assert.equal(await page.locator('#contact-save').isVisible(), false);
  await page.goto(`${stack.server.url}/#contacts/new`);
  await page.locator('#contact-fields').waitFor();
  assert.equal(await page.locator('#contact-save').isVisible(), true);
});

test('conflict reload keeps the edits', async () => {
  const { page } = session;
  const made = await stack.server.run(['contacts', 'add', '--last-name',
    'Keeper', '--company', 'Keep Co', '--json']);
  const id = JSON.parse(made.stdout).id;
  await page.goto(`${stack.server.url}/#contacts/${id}`);
  await page.waitForFunction(() => document.getElementById('c-last_name')
    .value === 'Keeper');
  await stack.server.run(['contacts', 'update', String(id), '--company',
    'Changed Elsewhere']);
  await page.getByLabel('Title').fill('Typed Here');
  await page.getByRole('button', { name: 'Save contact' }).click();
  await page.locator('#contact-conflict').waitFor();
  await page.getByRole('button', { name: 'Reload and keep my edits' })
    .click();
  await page.waitForFunction(() => document.getElementById('c-company')
    .value === 'Changed Elsewhere');
  assert.equal(await page.getByLabel('Title').inputValue(), 'Typed Here');
  await page.getByRole('button', { name: 'Save contact' }).click();
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();
  const stored = JSON.parse((await stack.server.run(['contacts', 'show',
    String(id), '--json'])).stdout);
  assert.equal(stored.title, 'Typed Here');
  assert.equal(stored.company, 'Changed Elsewhere');
  assert.deepEqual(session.problems, []);
});
