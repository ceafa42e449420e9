// SPDX-License-Identifier: MIT
// A new contact with the email of a stored one, in Chromium: the page
// names the stored contact with a link to it instead of the API's text,
// and "Add anyway" adds the new contact with allow_duplicate. An edit to
// another contact's email offers "Save anyway", which saves the edit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, ADMIN_PASSWORD,
} from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({ connect: false });
});

after(async () => {
  if (stack) await stack.close();
});

async function addThroughForm(page, lastName, email) {
  await page.goto(`${stack.server.url}/#contacts/new`);
  await page.getByLabel('Last name').fill(lastName);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Add contact' }).click();
}

test('duplicate email links the stored contact', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await addThroughForm(page, 'Moss', 'moss@example.com');
  await page.waitForURL(/#contacts\/\d+$/);
  const firstId = /#contacts\/(\d+)$/.exec(page.url())[1];

  await addThroughForm(page, 'Moss Two', 'MOSS@example.com');
  const alert = page.locator('#contact-duplicate');
  await alert.waitFor();
  assert.match(await alert.textContent(),
    new RegExp(`Contact ${firstId}\\s+has this email\\.`));
  assert.doesNotMatch(await page.locator('main').textContent(),
    /allow_duplicate|\/api\//);
  const link = alert.getByRole('link', { name: `Contact ${firstId}` });
  assert.equal(await link.getAttribute('href'), `#contacts/${firstId}`);
  assert.equal(await page.evaluate(() => document.activeElement.id),
    'contact-add-anyway');
  await screenshot(page, 'contact-duplicate');

  await link.click();
  await page.waitForURL(new RegExp(`#contacts/${firstId}$`));
  await page.locator('#contact-title').filter({ hasText: 'Moss' }).waitFor();
  assert.equal(await alert.isHidden(), true);

  await addThroughForm(page, 'Moss Two', 'MOSS@example.com');
  await alert.waitFor();
  await page.getByRole('button', { name: 'Add anyway' }).click();
  await page.waitForURL(/#contacts\/\d+$/);
  const secondId = /#contacts\/(\d+)$/.exec(page.url())[1];
  assert.notEqual(secondId, firstId);
  await page.locator('#contact-title').filter({ hasText: 'Moss Two' })
    .waitFor();
  assert.equal(await page.locator('#c-email').inputValue(),
    'MOSS@example.com');
  assert.deepEqual(problems, []);
  await context.close();
});

test('duplicate email on edit saves anyway', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await addThroughForm(page, 'Turing', 'turing@example.com');
  await page.waitForURL(/#contacts\/\d+$/);
  const firstId = /#contacts\/(\d+)$/.exec(page.url())[1];
  await addThroughForm(page, 'Hopper', 'hopper@example.com');
  await page.waitForURL(/#contacts\/\d+$/);
  const secondId = /#contacts\/(\d+)$/.exec(page.url())[1];
  await page.locator('#contact-title').filter({ hasText: 'Hopper' })
    .waitFor();

  await page.getByLabel('Email', { exact: true }).fill('turing@example.com');
  await page.getByRole('button', { name: 'Save contact' }).click();
  const alert = page.locator('#contact-duplicate');
  await alert.waitFor();
  const text = await alert.textContent();
  assert.match(text, new RegExp(`Contact ${firstId}\\s+has this email\\.`));
  assert.match(text, /The change was not saved\./);
  assert.doesNotMatch(text, /new contact/);
  assert.equal(await page.evaluate(() => document.activeElement.id),
    'contact-add-anyway');

  await page.getByRole('button', { name: 'Save anyway' }).click();
  await page.locator('#contact-message').filter({ hasText: 'Contact saved.' })
    .waitFor();
  assert.equal(await alert.isHidden(), true);
  assert.equal(page.url().endsWith(`#contacts/${secondId}`), true);
  await page.reload();
  await page.locator('#contact-title').filter({ hasText: 'Hopper' })
    .waitFor();
  assert.equal(await page.locator('#c-email').inputValue(),
    'turing@example.com');
  assert.deepEqual(problems, []);
  await context.close();
});
