// SPDX-License-Identifier: MIT
// POST and PATCH /api/contacts take an owner only when it is the id of a
// User (prefix 005) or a Queue (prefix 00G). Any other record id, such as
// an Account's, gets 422 naming owner and leaves the contact unchanged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertError, startStack } from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({});
});

after(async () => {
  await stack.close();
});

test('owner accepts user and queue ids', async () => {
  const { agent } = stack;
  for (const owner of ['005000000000001', '005000000000001AAA',
    '00G000000000001', '00G000000000001EAA']) {
    const res = await agent.req('POST', '/api/contacts',
      { last_name: 'Owned', owner });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.owner, owner, res.text);
  }
});

test('owner rejects other key prefixes', async () => {
  const { agent } = stack;
  for (const owner of ['001000000000001', '001000000000001AAA',
    '00Q000000000001', '00g000000000001', '003000000000001AAA']) {
    const res = await agent.req('POST', '/api/contacts',
      { last_name: 'Owned', owner });
    assertError(res, 422, 'invalid_value', 'owner');
    assert.ok(res.body.error.message.includes(`'${owner}'`), res.text);
    assert.match(res.body.error.message, /005/, res.text);
    assert.match(res.body.error.message, /00G/, res.text);
  }
  const made = await agent.req('POST', '/api/contacts',
    { last_name: 'Owned', owner: '005000000000001AAA' });
  assert.equal(made.status, 201, made.text);
  const bad = await agent.req('PATCH', `/api/contacts/${made.body.id}`,
    { owner: '001000000000001AAA' });
  assertError(bad, 422, 'invalid_value', 'owner');
  const kept = await agent.req('GET', `/api/contacts/${made.body.id}`);
  assert.equal(kept.body.owner, '005000000000001AAA', kept.text);
  assert.equal(kept.body.version, made.body.version, kept.text);
});
