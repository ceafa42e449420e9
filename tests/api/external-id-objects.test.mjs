// SPDX-License-Identifier: MIT
// PATCH /api/integration/settings checks external_id_field, stored or sent
// in the same request, against the objects that a change of `objects`
// turns on, so that a field only Contact has cannot be kept while Leads
// sync too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertError, startStack } from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=2,leads=1,accounts=1',
      '--custom-field', 'Contact.Ext__c:string:40:extid',
      '--custom-field', 'Contact.Both__c:string:40:extid',
      '--custom-field', 'Lead.Both__c:string:40:extid'],
    config: { objects: 'contacts' },
  });
});

after(async () => {
  await stack.close();
});

async function storedSettings() {
  const get = await stack.admin.req('GET', '/api/integration');
  assert.equal(get.status, 200, get.text);
  return get.body.settings;
}

test('objects change checks stored field', async () => {
  const { admin } = stack;
  let res = await admin.req('PATCH', '/api/integration/settings',
    { external_id_field: 'Ext__c' });
  assert.equal(res.status, 200, res.text);

  res = await admin.req('PATCH', '/api/integration/settings',
    { objects: 'contacts,leads' });
  assertError(res, 422, 'invalid_value', 'external_id_field');
  assert.match(res.body.error.message, /'Ext__c' is not a field of Lead/);
  assert.match(res.body.error.message,
    /clear the setting 'external_id_field' with PATCH \/api\/integration\/settings$/);
  assert.doesNotMatch(res.body.error.message, /Integration page/);
  let settings = await storedSettings();
  assert.equal(settings.objects, 'contacts');
  assert.equal(settings.external_id_field, 'Ext__c');

  res = await admin.req('PATCH', '/api/integration/settings',
    { objects: 'leads' });
  assertError(res, 422, 'invalid_value', 'external_id_field');
  settings = await storedSettings();
  assert.equal(settings.objects, 'contacts');
});

test('objects change checks field sent with it', async () => {
  const { admin } = stack;
  let res = await admin.req('PATCH', '/api/integration/settings',
    { objects: 'contacts,leads', external_id_field: 'Ext__c' });
  assertError(res, 422, 'invalid_value', 'external_id_field');
  assert.match(res.body.error.message, /'Ext__c' is not a field of Lead/);

  res = await admin.req('PATCH', '/api/integration/settings',
    { objects: 'contacts,leads', external_id_field: 'Both__c' });
  assert.equal(res.status, 200, res.text);
  const settings = await storedSettings();
  assert.equal(settings.objects, 'contacts,leads');
  assert.equal(settings.external_id_field, 'Both__c');
});

test('objects change passes when field cleared', async () => {
  const { admin } = stack;
  let res = await admin.req('PATCH', '/api/integration/settings',
    { objects: 'contacts', external_id_field: 'Ext__c' });
  assert.equal(res.status, 200, res.text);
  res = await admin.req('PATCH', '/api/integration/settings',
    { objects: 'contacts,leads', external_id_field: '' });
  assert.equal(res.status, 200, res.text);
  const settings = await storedSettings();
  assert.equal(settings.objects, 'contacts,leads');
  assert.equal(settings.external_id_field, '');
});
