// SPDX-License-Identifier: MIT
// Retrying one sync error through POST /api/errors/{id}/retry against a
// real sfsim: only that error's contact is pushed again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client, assertError, startStack, waitFor } from './lib.mjs';

// Well-formed User ids that no User of sfsim has, so that a push with
// either as the owner fails for good with INVALID_CROSS_REFERENCE_KEY.
const NO_USER = ['005000000000991', '005000000000992'];

let stack;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=5,leads=5,accounts=2'],
  });
});

after(async () => {
  await stack.close();
});

// Create a contact owned by owner and wait for its permanent sync error.
async function failingContact(name, owner) {
  const created = await stack.agent.req('POST', '/api/contacts',
    { last_name: name, email: `${name.toLowerCase()}@example.com`, owner });
  assert.equal(created.status, 201, created.text);
  const { value } = await waitFor(async () => {
    const r = await stack.agent.req('GET', '/api/errors?limit=50');
    return r.body.errors.find((e) => e.contact_id === created.body.id);
  }, 10000, `the sync error of ${name}`);
  assert.equal(value.code, 'INVALID_CROSS_REFERENCE_KEY', JSON.stringify(value));
  assert.equal(value.retryable, false);
  return value;
}

async function errorsOf(contactId) {
  const r = await stack.agent.req('GET', '/api/errors?limit=50');
  assert.equal(r.status, 200, r.text);
  return r.body.errors.filter((e) => e.contact_id === contactId);
}

test('retry one error pushes only its contact', async () => {
  const first = await failingContact('Stranded', NO_USER[0]);
  const second = await failingContact('Marooned', NO_USER[1]);

  // An agent may retry, as for POST /api/errors/retry.
  const res = await stack.agent.req('POST', `/api/errors/${first.id}/retry`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.id, first.id);
  assert.equal(res.body.contact_id, first.contact_id);
  assert.equal(res.body.code, 'INVALID_CROSS_REFERENCE_KEY');
  assert.equal(res.body.retryable, true);

  // The woken round pushes the first contact again, which fails again
  // and updates its error in place, so the id a client kept still names
  // it; the second error, which is newer, stays as it was.
  const { value: again } = await waitFor(async () => {
    const now = await errorsOf(first.contact_id);
    return now.length === 1 && now[0].created_at !== first.created_at
      && !now[0].retryable ? now[0] : null;
  }, 10000, 'the error of the retried push');
  assert.equal(again.id, first.id, JSON.stringify(again));
  assert.equal(again.code, 'INVALID_CROSS_REFERENCE_KEY');
  assert.ok(Date.parse(again.created_at) > Date.parse(first.created_at),
    JSON.stringify(again));
  const untouched = await errorsOf(second.contact_id);
  assert.equal(untouched.length, 1);
  assert.equal(untouched[0].id, second.id);
  assert.equal(untouched[0].retryable, false);
});

test('retry of an unknown error is 404', async () => {
  assertError(await stack.agent.req('POST', '/api/errors/999999/retry'), 404,
    'not_found');
  assertError(await stack.agent.req('POST', '/api/errors/abc/retry'), 404,
    'not_found');
  assertError(await stack.agent.req('POST', '/api/errors/0/retry'), 404,
    'not_found');
  const wrong = await stack.agent.req('GET', '/api/errors/1/retry');
  assert.equal(wrong.status, 405, wrong.text);
});

test('retry needs a sign-in and the CSRF token', async () => {
  const anonymous = new Client(stack.server.url);
  assertError(await anonymous.req('POST', '/api/errors/1/retry'), 401,
    'unauthenticated');
  assertError(await stack.agent.req('POST', '/api/errors/1/retry', undefined,
    { csrf: false }), 403, 'csrf_failed');
});
