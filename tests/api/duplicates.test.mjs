// SPDX-License-Identifier: MIT
// POST /api/contacts rejects a contact with the email or phone number of a
// stored one with 409 duplicate_contact, and adds it with allow_duplicate,
// without a Salesforce connection.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { AGENT, Client, Server, assertError } from './lib.mjs';

let server;
let agent;

before(async () => {
  server = new Server();
  await server.init();
  await server.addUser(AGENT.name, 'agent', AGENT.password);
  await server.start();
  agent = new Client(server.url);
  await agent.signIn(AGENT);
});

after(async () => {
  await server.stop();
});

async function add(body) {
  return agent.req('POST', '/api/contacts', body);
}

async function total(q) {
  const list = await agent.req('GET', `/api/contacts?q=${encodeURIComponent(q)}`);
  assert.equal(list.status, 200, list.text);
  return list.body.total;
}

test('same email in other case rejected', async () => {
  const first = await add({ last_name: 'Okafor', email: 'chi@example.com' });
  assert.equal(first.status, 201, first.text);
  const again = await add({ last_name: 'Okafor', email: 'Chi@EXAMPLE.com' });
  assertError(again, 409, 'duplicate_contact', 'email');
  assert.equal(again.body.error.contact_id, first.body.id);
  assert.match(again.body.error.message,
    new RegExp(`matches contact ${first.body.id}, which has the same email`));
  assert.match(again.body.error.message, /PATCH \/api\/contacts\/\d+/);
  assert.match(again.body.error.message, /"allow_duplicate": true/);
  assert.equal(await total('okafor'), 1, 'nothing was written');
});

test('same phone number rejected', async () => {
  const first = await add({ last_name: 'Haddad', phone: '+1 415 555 0132' });
  assert.equal(first.status, 201, first.text);
  // The mobile phone, written another way, has the stored phone's E.164.
  const again = await add({ last_name: 'Haddad', mobile_phone: '(415) 555-0132' });
  assertError(again, 409, 'duplicate_contact', 'mobile_phone');
  assert.equal(again.body.error.contact_id, first.body.id);
  assert.match(again.body.error.message, /'\+14155550132'/);
  assert.equal(await total('haddad'), 1);
});

test('shared phone with other email added', async () => {
  const first = await add({ last_name: 'Berg', email: 'ola@example.com',
    phone: '+1 415 555 0133' });
  assert.equal(first.status, 201, first.text);
  const colleague = await add({ last_name: 'Lund', email: 'kari@example.com',
    phone: '+1 415 555 0133' });
  assert.equal(colleague.status, 201, colleague.text);
});

test('allow_duplicate adds a second contact', async () => {
  const first = await add({ last_name: 'Sato', email: 'ken@example.com' });
  assert.equal(first.status, 201, first.text);
  const second = await add({ last_name: 'Sato', email: 'ken@example.com',
    allow_duplicate: true });
  assert.equal(second.status, 201, second.text);
  assert.notEqual(second.body.id, first.body.id);
  assert.equal(second.body.allow_duplicate, undefined);
  assert.equal(await total('sato'), 2);
  const off = await add({ last_name: 'Sato', email: 'ken@example.com',
    allow_duplicate: false });
  assertError(off, 409, 'duplicate_contact', 'email');
});

test('allow_duplicate must be boolean', async () => {
  const res = await add({ last_name: 'Ruiz', allow_duplicate: 'yes' });
  assertError(res, 422, 'invalid_value', 'allow_duplicate');
  assert.equal(await total('ruiz'), 0);
});

test('archived contact is no duplicate', async () => {
  const first = await add({ last_name: 'Novak', email: 'eva@example.com' });
  assert.equal(first.status, 201, first.text);
  const gone = await agent.req('DELETE', `/api/contacts/${first.body.id}`);
  assert.equal(gone.status, 200, gone.text);
  const again = await add({ last_name: 'Novak', email: 'eva@example.com' });
  assert.equal(again.status, 201, again.text);
});
