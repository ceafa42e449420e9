// SPDX-License-Identifier: MIT
// The settings form and what depends on the saved settings. Every invalid
// field shows its own error in the page's words, and a pull of an object
// that does not sync is off with the reason. The delete dialog states what
// happens to the Salesforce record under on_local_delete.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, watchRequests, ADMIN_PASSWORD,
} from './lib.mjs';

let stack;
let session;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=3,leads=3'],
    pulls: ['contacts'],
  });
  session = await signIn(stack.browser, stack.server.url, 'ada',
    ADMIN_PASSWORD);
  session.requests = watchRequests(session.page);
});

after(async () => {
  if (session) await session.context.close();
  if (stack) await stack.close();
});

test('two invalid fields both show', async () => {
  const { page, requests } = session;
  await page.locator('#conn-details').waitFor();
  await page.locator('#set-obj-contacts').uncheck();
  await page.locator('#set-obj-leads').uncheck();
  await page.getByLabel('Check Salesforce every (seconds)').fill('0');
  await page.getByRole('button', { name: 'Save settings' }).click();

  const objectsError = page.locator('#set-objects-error');
  const pollError = page.locator('#set-poll_interval-error');
  assert.equal(await objectsError.innerText(), 'Choose at least one object.');
  assert.equal(await pollError.innerText(),
    'Enter a whole number of seconds from 1 to 86400.');
  assert.doesNotMatch(await pollError.innerText(), /poll_interval/);
  assert.equal(await page.getByLabel('Check Salesforce every (seconds)')
    .getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#set-message').innerText(),
    '2 settings need a fix.');
  assert.equal(requests.filter((r) => r.method === 'PATCH').length, 0);
  await screenshot(page, 'settings-two-errors');
});

test('pull of an unsynced object is off', async () => {
  const { page } = session;
  await page.locator('#set-obj-leads').check();
  await page.getByLabel('Check Salesforce every (seconds)').fill('30');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('#set-message').filter({ hasText: 'Settings saved.' })
    .waitFor();

  const pullContacts = page.getByRole('button', { name: 'Pull Contacts' });
  assert.equal(await pullContacts.isDisabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Pull Leads' })
    .isDisabled(), false);
  const hint = page.locator('#pull-hint');
  assert.equal(await hint.isVisible(), true);
  assert.match(await hint.innerText(),
    /Pull Contacts is off because Contacts is not among the objects that sync/);
  assert.doesNotMatch(await hint.innerText(), /'objects'/);
  await screenshot(page, 'pull-object-off');

  await page.locator('#set-obj-contacts').check();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('#set-message').filter({ hasText: 'Settings saved.' })
    .waitFor();
  assert.equal(await pullContacts.isDisabled(), false);
  assert.equal(await hint.isVisible(), false);
});

// Open the delete dialog of the first linked contact and return its text.
async function deleteDialogText(page) {
  await page.goto(`${stack.server.url}/#contacts`);
  await page.locator('#contacts-table tbody tr')
    .filter({ hasText: 'Open in Salesforce' }).first().locator('a').first()
    .click();
  await page.locator('#contact-info').filter({ hasText: 'Linked to' })
    .waitFor();
  await page.getByRole('button', { name: 'Delete contact' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const text = await page.locator('#confirm-text').innerText();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  return text;
}

test('delete dialog names the Salesforce effect', async () => {
  const { page } = session;
  const keep = await deleteDialogText(page);
  assert.match(keep, /stays in Salesforce/);
  assert.doesNotMatch(keep, /on_local_delete/);

  await stack.server.run(['config', 'set', 'on_local_delete', 'delete']);
  const remove = await deleteDialogText(page);
  assert.match(remove, /is deleted too/);
  assert.doesNotMatch(remove, /on_local_delete/);
  assert.deepEqual(session.problems, []);
});
