// SPDX-License-Identifier: MIT
// PATCH /api/contacts/{id} and `sfsync contacts update` reject an edit of
// the email or a phone that makes the contact match another stored one,
// and write it with allow_duplicate (--allow-duplicate).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { AGENT, Client, Server, assertError } from './lib.mjs';
import { Workdir } from '../cli/lib.mjs';

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
  const res = await agent.req('POST', '/api/contacts', body);
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function show(id) {
  const res = await agent.req('GET', `/api/contacts/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

test('patch email of another rejected', async () => {
  const stored = await add({ last_name: 'Mbeki', email: 'thabo@example.com' });
  const other = await add({ last_name: 'Mbekj', email: 'other@example.com' });
  const res = await agent.req('PATCH', `/api/contacts/${other.id}`,
    { email: 'Thabo@Example.com' });
  assertError(res, 409, 'duplicate_contact', 'email');
  assert.equal(res.body.error.contact_id, stored.id);
  assert.match(res.body.error.message, /'Thabo@Example.com'/);
  assert.match(res.body.error.message, /"allow_duplicate": true to keep/);
  const after = await show(other.id);
  assert.equal(after.email, 'other@example.com', 'nothing was written');
  assert.equal(after.version, other.version);
});

test('patch phone of another rejected', async () => {
  const stored = await add({ first_name: 'Ken', last_name: 'Sato',
    phone: '+1 415 555 0177' });
  const other = await add({ last_name: 'Sato', phone: '+1 415 555 0178' });
  const res = await agent.req('PATCH', `/api/contacts/${other.id}`,
    { mobile_phone: '(415) 555-0177' });
  assertError(res, 409, 'duplicate_contact', 'mobile_phone');
  assert.equal(res.body.error.contact_id, stored.id);
  assert.match(res.body.error.message, /'\+14155550177'/);
  assert.equal((await show(other.id)).mobile_phone, null);
});

test('patch with allow_duplicate written', async () => {
  await add({ last_name: 'Lind', email: 'lind@example.com' });
  const other = await add({ last_name: 'Lindh', email: 'lindh@example.com' });
  const res = await agent.req('PATCH', `/api/contacts/${other.id}`,
    { email: 'lind@example.com', allow_duplicate: true });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.email, 'lind@example.com');
  const bad = await agent.req('PATCH', `/api/contacts/${other.id}`,
    { title: 'VP', allow_duplicate: 'yes' });
  assertError(bad, 422, 'invalid_value', 'allow_duplicate');
});

test('patch of own email accepted', async () => {
  const c = await add({ last_name: 'Quist', email: 'quist@example.com' });
  const same = await agent.req('PATCH', `/api/contacts/${c.id}`,
    { email: 'QUIST@example.com', phone: '+1 415 555 0190' });
  assert.equal(same.status, 200, same.text);
  // An edit of another field leaves an existing shared email alone.
  await add({ last_name: 'Quist', email: 'twin@example.com' });
  const twin = await agent.req('POST', '/api/contacts', {
    last_name: 'Quist', email: 'twin@example.com', allow_duplicate: true,
  });
  assert.equal(twin.status, 201, twin.text);
  const title = await agent.req('PATCH', `/api/contacts/${twin.body.id}`,
    { title: 'Buyer' });
  assert.equal(title.status, 200, title.text);
});

test('cli update duplicate rejected', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(['contacts', 'add', '--last-name', 'Ito', '--email',
      'ito@example.com']);
    const other = await w.json(['contacts', 'add', '--last-name', 'Itoh',
      '--phone', '+1 415 555 0161', '--json']);
    const res = await w.fails(['contacts', 'update', String(other.id),
      '--email', 'ITO@example.com']);
    assert.match(res.stderr, new RegExp(`contact ${other.id} not updated: ` +
      "field 'email' matches contact \\d+"));
    assert.match(res.stderr, /--allow-duplicate to keep the change/);
    const unchanged = await w.json(['contacts', 'show', String(other.id),
      '--json']);
    assert.equal(unchanged.email, null, 'nothing was written');

    await w.ok(['contacts', 'update', String(other.id), '--email',
      'ITO@example.com', '--allow-duplicate']);
    const written = await w.json(['contacts', 'show', String(other.id),
      '--json']);
    assert.equal(written.email, 'ITO@example.com');
  } finally {
    w.remove();
  }
});
