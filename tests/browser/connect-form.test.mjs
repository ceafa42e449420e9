// SPDX-License-Identifier: MIT
// The connect form. The hint under Client secret follows the chosen
// sign-in method, and an empty field gets the page's own words at the
// field. The Connect button hides while the form is open.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, watchRequests, ADMIN_PASSWORD, CLIENT_ID,
  CLIENT_SECRET,
} from './lib.mjs';

let stack;
let session;

before(async () => {
  stack = await startStack({ connect: false });
  session = await signIn(stack.browser, stack.server.url, 'ada',
    ADMIN_PASSWORD);
  session.requests = watchRequests(session.page);
});

after(async () => {
  if (session) await session.context.close();
  if (stack) await stack.close();
});

test('empty secret is named at its field', async () => {
  const { page, requests } = session;
  const connect = page.getByRole('button', { name: 'Connect to Salesforce' });
  await connect.click();
  const form = page.locator('#connect-form');
  await form.waitFor();
  assert.equal(await connect.isVisible(), false);

  await page.getByLabel('Sign-in method').selectOption('client_credentials');
  const hint = page.locator('#connect-client-secret-hint');
  assert.match(await hint.innerText(), /^Required for client credentials/);
  await page.getByLabel('Login URL').fill(stack.sim.url);
  await page.getByLabel('Client id (consumer key)').fill(CLIENT_ID);
  await page.getByLabel('Client secret (consumer secret)').fill('');
  await page.getByRole('button', { name: 'Continue' }).click();
  const error = page.locator('#connect-client_secret-error');
  assert.equal(await error.innerText(), 'Enter the client secret.');
  const secret = page.getByLabel('Client secret (consumer secret)');
  assert.equal(await secret.getAttribute('aria-invalid'), 'true');
  assert.equal(await secret.evaluate((el) => el === document.activeElement),
    true);
  assert.equal(requests.filter((r) => r.path === '/api/integration/connect')
    .length, 0);
  await screenshot(page, 'connect-form-empty-secret');

  await page.getByLabel('Sign-in method').selectOption('authorization_code');
  assert.match(await hint.innerText(), /^Optional when signing in at Salesforce/);
  assert.equal(await error.isVisible(), false);

  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await form.isVisible(), false);
  assert.equal(await connect.isVisible(), true);
  assert.equal(await connect.evaluate((el) => el === document.activeElement),
    true);
});

test('hint follows method after disconnect', async () => {
  const { page } = session;
  await page.getByRole('button', { name: 'Connect to Salesforce' }).click();
  await page.getByLabel('Sign-in method').selectOption('client_credentials');
  await page.getByLabel('Login URL').fill(stack.sim.url);
  await page.getByLabel('Client id (consumer key)').fill(CLIENT_ID);
  await page.getByLabel('Client secret (consumer secret)').fill(CLIENT_SECRET);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#conn-details').waitFor();

  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' })
    .click();
  await page.locator('#conn-none').waitFor();
  const connect = page.getByRole('button', { name: 'Connect to Salesforce' });
  await connect.click();
  assert.equal(await page.getByLabel('Sign-in method').inputValue(),
    'client_credentials');
  assert.match(await page.locator('#connect-client-secret-hint').innerText(),
    /^Required for client credentials/);
  assert.equal(await connect.isVisible(), false);
  assert.equal(await page.getByRole('button', { name: 'Continue' })
    .isVisible(), true);
  await screenshot(page, 'connect-form-client-credentials');
  assert.deepEqual(session.problems, []);
});
