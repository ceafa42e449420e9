// SPDX-License-Identifier: MIT
// The runs table stays readable with a long run message. Dates keep one
// line, and a message shows two lines with Show all for the rest. A run
// that failed on authentication points to Reconnect on the Integration
// view instead of the command line's advice. The run's error_code marks
// that failure, and for runs recorded without a code, the advice in the
// message does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  startStack, signIn, screenshot, horizontalOverflow, ADMIN_PASSWORD,
  AGENT_PASSWORD, PHONE,
} from './lib.mjs';

// The message of a sync round that failed on a long Salesforce error.
const LONG_MESSAGE = 'salesforce rejected the batch: '
  + 'FIELD_CUSTOM_VALIDATION_EXCEPTION on 003000000000001AAA, '.repeat(6)
  + 'fix the records and try again';
// The message a run records when Salesforce rejects the client credentials,
// as the Salesforce client words it (src/salesforce/sf_http.c).
const AUTH_MESSAGE = 'authentication failed for POST '
  + 'http://127.0.0.1:9/services/oauth2/token: invalid_client: invalid '
  + 'client credentials (http 400): check the credentials or log in again';

let stack;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=5,leads=0'],
    // The second pull finds every record unchanged.
    pulls: ['contacts', 'contacts'],
  });
});

after(async () => {
  if (stack) await stack.close();
});

// Add two failed runs to the server's real list. sfsim cannot reject the
// client credentials grant on demand, so the failed runs are added to the
// reply of GET /api/runs instead of being run.
async function addFailedRuns(page) {
  await page.route('**/api/runs?*', async (route) => {
    const reply = await route.fetch();
    const body = await reply.json();
    const newest = body.runs[0];
    const failed = (id, kind, object, message) => ({
      ...newest, id, kind, object, status: 'failed', message,
      counts: { ...newest.counts, created: 0, updated: 0, pulled: 0 },
    });
    body.runs.unshift(failed(9001, 'sync', null, LONG_MESSAGE),
      failed(9002, 'pull', 'Contact', AUTH_MESSAGE));
    await route.fulfill({ response: reply, json: body });
  });
}

// Count the lines that the text of an element takes.
async function lineCount(locator) {
  return locator.evaluate((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()]
      .map((r) => Math.round(r.top)));
    return tops.size;
  });
}

test('long message keeps rows readable', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await addFailedRuns(page);
  await page.goto(`${stack.server.url}/#runs`);
  const rows = page.locator('#runs-table tbody tr');
  await rows.nth(2).waitFor();

  const started = page.locator('#runs-table tbody td:first-child');
  for (let i = 0; i < await started.count(); i++) {
    assert.equal(await lineCount(started.nth(i)), 1, `Started of row ${i}`);
  }

  const longText = rows.nth(0).locator('.run-message-text');
  assert.equal(await longText.getAttribute('title'),
    `${LONG_MESSAGE.charAt(0).toUpperCase()}${LONG_MESSAGE.slice(1)}.`);
  const lineHeight = await longText.evaluate(
    (el) => parseFloat(getComputedStyle(el).lineHeight));
  const cutHeight = (await longText.boundingBox()).height;
  assert.ok(cutHeight <= lineHeight * 2 + 1, `message is ${cutHeight} px`);
  const more = rows.nth(0).getByRole('button', { name: 'Show all' });
  assert.equal(await more.getAttribute('aria-expanded'), 'false');
  await screenshot(page, 'runs-long-message');
  await more.focus();
  await page.keyboard.press('Enter');
  const less = rows.nth(0).getByRole('button', { name: 'Show less' });
  assert.equal(await less.getAttribute('aria-expanded'), 'true');
  assert.ok((await longText.boundingBox()).height > cutHeight * 1.5);

  // The authentication failure drops the command line's advice and links
  // to the Integration view.
  const authCell = rows.nth(1).locator('td.run-message');
  const authText = await authCell.innerText();
  assert.doesNotMatch(authText, /log in again/);
  assert.match(authText, /invalid client credentials/);
  const fix = authCell.getByRole('link',
    { name: 'Reconnect on the Integration view' });
  assert.equal(await fix.getAttribute('href'), '#integration');
  assert.equal(await horizontalOverflow(page), 0);
  await fix.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL('**/#integration');
  assert.deepEqual(problems, []);
  await context.close();
});

// Add two failed runs that carry an error_code, whose messages read the
// other way: the auth failure's text has no command-line advice, and the
// Salesforce error's text ends with the advice of an auth failure.
async function addCodedRuns(page) {
  await page.route('**/api/runs?*', async (route) => {
    const reply = await route.fetch();
    const body = await reply.json();
    const newest = body.runs[0];
    const failed = (id, message, errorCode) => ({
      ...newest, id, kind: 'sync', object: null, status: 'failed', message,
      error_code: errorCode,
    });
    body.runs.unshift(
      failed(9003, 'Salesforce ended the session of the integration user',
        'auth'),
      failed(9004, 'describe of Contact failed with http 400 '
        + 'INVALID_TYPE: check the credentials or log in again',
      'salesforce'));
    await route.fulfill({ response: reply, json: body });
  });
}

test('error_code decides Reconnect offer', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await addCodedRuns(page);
  await page.goto(`${stack.server.url}/#runs`);
  const rows = page.locator('#runs-table tbody tr');
  await rows.nth(2).waitFor();

  const authCell = rows.nth(0).locator('td.run-message');
  assert.match(await authCell.innerText(), /ended the session/);
  const fix = authCell.getByRole('link',
    { name: 'Reconnect on the Integration view' });
  assert.equal(await fix.count(), 1);
  assert.equal(await fix.getAttribute('href'), '#integration');

  // The advice is still cut from the text, but the code names another
  // failure, so nothing offers Reconnect.
  const otherCell = rows.nth(1).locator('td.run-message');
  const otherText = await otherCell.innerText();
  assert.match(otherText, /INVALID_TYPE/);
  assert.doesNotMatch(otherText, /log in again/);
  assert.equal(await otherCell.getByRole('link').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('unchanged records are counted', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'ada', ADMIN_PASSWORD);
  await page.goto(`${stack.server.url}/#runs`);
  const headers = await page.locator('#runs-table thead th')
    .allTextContents();
  const column = headers.indexOf('Unchanged');
  assert.ok(column > 0, JSON.stringify(headers));
  const pulls = page.locator('#runs-table tbody tr')
    .filter({ hasText: 'Pull Contacts' });
  await pulls.nth(1).waitFor();
  // Newest first: the re-pull found all 5 records unchanged.
  const repull = pulls.nth(0).locator('td');
  assert.equal(await repull.nth(column).innerText(), '5');
  assert.equal(await repull.nth(headers.indexOf('Created')).innerText(), '0');
  assert.equal(await repull.nth(headers.indexOf('Updated')).innerText(), '0');
  const first = pulls.nth(1).locator('td');
  assert.equal(await first.nth(column).innerText(), '0');
  assert.equal(await first.nth(headers.indexOf('Created')).innerText(), '5');
  await screenshot(page, 'runs-unchanged');
  assert.deepEqual(problems, []);
  await context.close();
});

test('runs table on a phone', async () => {
  const { context, page, problems } = await signIn(stack.browser,
    stack.server.url, 'bob', AGENT_PASSWORD, { viewport: PHONE });
  await addFailedRuns(page);
  await page.goto(`${stack.server.url}/#runs`);
  const rows = page.locator('#runs-table tbody tr');
  await rows.nth(2).waitFor();
  assert.equal(await horizontalOverflow(page), 0);
  const authCell = rows.nth(1).locator('td.run-message');
  assert.equal(await authCell.getByRole('link',
    { name: 'An admin reconnects on the Integration view' }).isVisible(),
  true);
  await screenshot(page, 'runs-long-message-phone');
  assert.deepEqual(problems, []);
  await context.close();
});
