// SPDX-License-Identifier: MIT
// PATCH /api/integration/settings: default_region re-normalises the stored
// phones in the request's one transaction, and external_id_field is checked
// against the org's describe as `sfsync config set` checks it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertError, startStack } from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({ connect: false });
});

after(async () => {
  await stack.close();
});

test('default_region renormalises stored phones', async () => {
  const { admin } = stack;
  const add = await admin.req('POST', '/api/contacts',
    { last_name: 'Wren', phone: '020 7946 0018' });
  assert.equal(add.status, 201, add.text);
  assert.equal(add.body.phone_e164, null, add.text);
  assert.equal(add.body.phone_valid, false, add.text);

  const gb = await admin.req('PATCH', '/api/integration/settings',
    { default_region: 'GB' });
  assert.equal(gb.status, 200, gb.text);
  assert.equal(gb.body.settings.default_region, 'GB', gb.text);
  const read = await admin.req('GET', `/api/contacts/${add.body.id}`);
  assert.equal(read.body.phone_e164, '+442079460018', read.text);
  assert.equal(read.body.phone_valid, true, read.text);
  assert.equal(read.body.version, add.body.version, read.text);

  const us = await admin.req('PATCH', '/api/integration/settings',
    { default_region: 'US', poll_interval: 45 });
  assert.equal(us.status, 200, us.text);
  assert.equal(us.body.settings.poll_interval, '45', us.text);
  const back = await admin.req('GET', `/api/contacts/${add.body.id}`);
  assert.equal(back.body.phone_e164, null, back.text);
});

test('unknown setting names the API list', async () => {
  const res = await stack.admin.req('PATCH', '/api/integration/settings',
    { colour: 'blue' });
  assertError(res, 422, 'invalid_value', 'colour');
  assert.equal(res.body.error.message,
    "unknown setting 'colour': GET /api/integration lists every setting");
});

test('default_region rejects an unknown region', async () => {
  const res = await stack.admin.req('PATCH', '/api/integration/settings',
    { default_region: 'XX' });
  assertError(res, 422, 'invalid_value', 'default_region');
  assert.match(res.body.error.message, /'XX'/);
});

test('external_id_field checked against describe', async () => {
  const stack2 = await startStack({
    simArgs: ['--generate', 'contacts=2,leads=1,accounts=1',
      '--custom-field', 'Contact.Plain__c:string:20',
      '--custom-field', 'Contact.Ext__c:string:40:extid'],
    config: { objects: 'contacts' },
  });
  try {
    const { admin } = stack2;
    let res = await admin.req('PATCH', '/api/integration/settings',
      { external_id_field: 'Missing__c' });
    assertError(res, 422, 'invalid_value', 'external_id_field');
    assert.match(res.body.error.message,
      /'Missing__c' is not a field of Contact/);
    assert.match(res.body.error.message,
      /clear the setting 'external_id_field' with PATCH \/api\/integration\/settings$/);
    res = await admin.req('PATCH', '/api/integration/settings',
      { external_id_field: 'Plain__c' });
    assertError(res, 422, 'invalid_value', 'external_id_field');
    assert.match(res.body.error.message, /not marked External ID/);
    let get = await admin.req('GET', '/api/integration');
    assert.equal(get.body.settings.external_id_field, '', get.text);

    res = await admin.req('PATCH', '/api/integration/settings',
      { external_id_field: 'Ext__c' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.settings.external_id_field, 'Ext__c', res.text);
  } finally {
    await stack2.close();
  }
});
