// SPDX-License-Identifier: MIT
// The sign-in form of `sfsync serve --all-workspaces` in Chromium. It
// shows a Workspace field, signs each user in to their own workspace and
// shows an error for a wrong workspace. A server of one workspace hides
// the field.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  Server, launchBrowser, openContext, screenshot, watchPage, horizontalOverflow,
  ADMIN_PASSWORD, PHONE,
} from './lib.mjs';

const WEST_PASSWORD = 'west passphrase 2';

let server;
let single;
let browser;

before(async () => {
  server = new Server();
  await server.run(['workspaces', 'add', 'east']);
  await server.run(['workspaces', 'add', 'west']);
  for (const [ws, password] of [['east', ADMIN_PASSWORD], ['west', WEST_PASSWORD]]) {
    const file = server.w.file(`password-${ws}`, `${password}\n`);
    await server.run(['--workspace', ws, 'users', 'add', 'ada', '--role', 'admin',
      '--password-file', file]);
  }
  await server.run(['--workspace', 'west', 'contacts', 'add', '--last-name', 'Westerly']);
  await server.start(['--all-workspaces']);
  single = new Server();
  await single.init();
  await single.addUser('ada', 'admin', ADMIN_PASSWORD);
  await single.start();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (single) await single.stop();
});

test('workspace field signs in to west', async () => {
  const context = await openContext(browser);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.url}/`);
  const workspace = page.getByLabel('Workspace');
  await workspace.waitFor();
  await screenshot(page, 'signin-workspace');
  await page.getByLabel('Username').fill('ada');
  await page.getByLabel('Password').fill(WEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.locator('#signin-message');
  await alert.filter({ hasText: 'Enter your workspace' }).waitFor();
  await workspace.fill('east');
  await page.getByLabel('Password').fill(WEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await alert.filter({ hasText: 'wrong' }).waitFor();
  assert.equal(await alert.textContent(),
    'The workspace, username or password is wrong.');
  await workspace.fill('west');
  await page.getByLabel('Password').fill(WEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who-name').filter({ hasText: 'ada' }).waitFor();
  // The header names the workspace, since "ada" exists in east and west.
  assert.equal(await page.locator('#who-workspace').isVisible(), true);
  assert.equal(await page.locator('#who-workspace-name').textContent(),
    'west');
  assert.match(await page.locator('#who').innerText(), /Workspace\s+west/);
  await screenshot(page, 'header-workspace');
  await page.goto(`${server.url}/#contacts`);
  await page.locator('#contacts-status').filter({ hasText: /^1 contact/ }).waitFor();
  assert.match(await page.locator('#contacts-table').textContent(), /Westerly/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('one workspace hides the field', async () => {
  const context = await openContext(browser);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`${single.url}/`);
  await page.locator('#signin-form').waitFor();
  await page.getByLabel('Username').waitFor();
  assert.equal(await page.locator('#signin-workspace').isVisible(), false);
  await page.getByLabel('Username').fill('ada');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who-name').filter({ hasText: 'ada' }).waitFor();
  assert.equal(await page.locator('#who-workspace').isVisible(), false);
  assert.deepEqual(problems, []);
  await context.close();
});

test('workspace shows on a phone', async () => {
  const context = await openContext(browser, PHONE);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.url}/`);
  await page.getByLabel('Workspace').fill('west');
  await page.getByLabel('Username').fill('ada');
  await page.getByLabel('Password').fill(WEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who-workspace-name').filter({ hasText: 'west' })
    .waitFor();
  assert.equal(await horizontalOverflow(page), 0);
  await screenshot(page, 'header-workspace-phone');
  assert.deepEqual(problems, []);
  await context.close();
});
