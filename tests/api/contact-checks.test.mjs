// SPDX-License-Identifier: MIT
// Checks of POST and PATCH /api/contacts that the contact model leaves to
// serve: the owner must be a Salesforce id, and a new contact's first
// error names the last name while the integration pushes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertError, startStack } from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({ config: { enabled: 'true', direction: 'both' } });
});

after(async () => {
  await stack.close();
});

test('owner rejected unless a Salesforce id', async () => {
  const { agent } = stack;
  for (const owner of ['Ada Lovelace', '005000000000001', '0050000000000']) {
    const res = await agent.req('POST', '/api/contacts',
      { last_name: 'Owned', owner });
    if (owner === '005000000000001') {
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.owner, owner, res.text);
      continue;
    }
    assertError(res, 422, 'invalid_value', 'owner');
    assert.ok(res.body.error.message.includes(`'${owner}'`), res.text);
  }
  const made = await agent.req('POST', '/api/contacts',
    { last_name: 'Owned', owner: '005000000000001AAA' });
  assert.equal(made.status, 201, made.text);
  const bad = await agent.req('PATCH', `/api/contacts/${made.body.id}`,
    { owner: 'someone' });
  assertError(bad, 422, 'invalid_value', 'owner');
  const kept = await agent.req('GET', `/api/contacts/${made.body.id}`);
  assert.equal(kept.body.owner, '005000000000001AAA', kept.text);
  assert.equal(kept.body.version, made.body.version, kept.text);
  const cleared = await agent.req('PATCH', `/api/contacts/${made.body.id}`,
    { owner: null });
  assert.equal(cleared.status, 200, cleared.text);
  assert.equal(cleared.body.owner, null, cleared.text);
});

test('empty contact names last_name when pushing', async () => {
  const { admin, agent } = stack;
  let res = await agent.req('POST', '/api/contacts', {});
  assertError(res, 422, 'invalid_value', 'last_name');
  assert.match(res.body.error.message, /^field 'last_name' is missing/);
  res = await agent.req('POST', '/api/contacts', { company: 'Acme' });
  assertError(res, 422, 'invalid_value', 'last_name');

  const set = await admin.req('PATCH', '/api/integration/settings',
    { direction: 'from-salesforce' });
  assert.equal(set.status, 200, set.text);
  res = await agent.req('POST', '/api/contacts', {});
  assertError(res, 422, 'invalid_value');
  assert.match(res.body.error.message, /needs at least a last name/);
  res = await agent.req('POST', '/api/contacts', { company: 'Acme' });
  assert.equal(res.status, 201, res.text);
});
