// SPDX-License-Identifier: MIT
// The contact endpoints of `sfsync serve`: listing, reading, creating,
// editing with version checks, archiving and bad input, without a
// Salesforce connection (the changes wait in the outbox).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ADMIN, AGENT, Client, Server, assertError } from './lib.mjs';

let server;
let agent;

before(async () => {
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.addUser(AGENT.name, 'agent', AGENT.password);
  await server.start();
  agent = new Client(server.url);
  await agent.signIn(AGENT);
});

after(async () => {
  await server.stop();
});

test('create, read and list a contact', async () => {
  const made = await agent.req('POST', '/api/contacts', {
    first_name: 'Ada', last_name: 'Ngata', phone: '+1 415 555 2671',
    do_not_call: true,
  });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.headers.get('location'), `/api/contacts/${made.body.id}`);
  assert.equal(made.headers.get('etag'), '"1"');
  assert.equal(made.body.version, 1);
  assert.equal(made.body.phone_e164, '+14155552671');
  assert.equal(made.body.do_not_call, true);
  assert.equal(made.body.salesforce, null);
  assert.equal(made.body.pending_changes, 1, 'the create waits in the outbox');
  const got = await agent.req('GET', `/api/contacts/${made.body.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.last_name, 'Ngata');
  const list = await agent.req('GET', '/api/contacts?q=ngata');
  assert.equal(list.status, 200);
  assert.equal(list.body.total, 1);
  assert.equal(list.body.contacts[0].id, made.body.id);
  const byPhone = await agent.req('GET', '/api/contacts?q=5552671');
  assert.equal(byPhone.body.total, 1);
});

test('list pages with limit and offset', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await agent.req('POST', '/api/contacts',
      { last_name: `Pager${i}`, company: 'Paging Co' });
    assert.equal(r.status, 201, r.text);
  }
  const page = await agent.req('GET', '/api/contacts?q=paging&limit=2&offset=2');
  assert.equal(page.status, 200);
  assert.equal(page.body.total, 5);
  assert.equal(page.body.limit, 2);
  assert.equal(page.body.offset, 2);
  assert.deepEqual(page.body.contacts.map((c) => c.last_name),
    ['Pager2', 'Pager3']);
  for (const [q, field] of [['limit=0', 'limit'], ['limit=1001', 'limit'],
    ['limit=abc', 'limit'], ['offset=-1', 'offset'],
    ['archived=maybe', 'archived']]) {
    assertError(await agent.req('GET', `/api/contacts?${q}`), 422,
      'invalid_value', field);
  }
});

test('patch checks the version', async () => {
  const made = await agent.req('POST', '/api/contacts', { last_name: 'Vers' });
  const id = made.body.id;
  const one = await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'VP' }, { headers: { 'if-match': '"1"' } });
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body.version, 2);
  assert.equal(one.body.title, 'VP');
  assert.equal(one.headers.get('etag'), '"2"');
  // A stale If-Match and a stale version key both get 409, writing nothing.
  const stale = await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'CEO' }, { headers: { 'if-match': '"1"' } });
  assertError(stale, 409, 'version_conflict');
  assertError(await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'CEO', version: 1 }), 409, 'version_conflict');
  const still = await agent.req('GET', `/api/contacts/${id}`);
  assert.equal(still.body.title, 'VP');
  assert.equal(still.body.version, 2);
  const two = await agent.req('PATCH', `/api/contacts/${id}`,
    { title: null, version: 2 });
  assert.equal(two.status, 200, two.text);
  assert.equal(two.body.title, null);
  assert.equal(two.body.version, 3);
  // An unchanged value writes nothing and keeps the version.
  const same = await agent.req('PATCH', `/api/contacts/${id}`,
    { last_name: 'Vers' });
  assert.equal(same.body.version, 3);
  // The reply can be sent back as it is.
  const back = await agent.req('PATCH', `/api/contacts/${id}`,
    { ...same.body, company: 'Roundtrip' });
  assert.equal(back.status, 200, back.text);
  assert.equal(back.body.company, 'Roundtrip');
  assertError(await agent.req('PATCH', `/api/contacts/${id}`, { title: 'x' },
    { headers: { 'if-match': 'soon' } }), 422, 'invalid_value', 'If-Match');
});

test('if-match star matches any version', async () => {
  const made = await agent.req('POST', '/api/contacts', { last_name: 'Star' });
  const id = made.body.id;
  await agent.req('PATCH', `/api/contacts/${id}`, { title: 'A' });
  const star = await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'B' }, { headers: { 'if-match': '*' } });
  assert.equal(star.status, 200, star.text);
  assert.equal(star.body.title, 'B');
  assert.equal(star.body.version, 3);
  // With * the body's version still has to match.
  assertError(await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'C', version: 1 }, { headers: { 'if-match': '*' } }),
  409, 'version_conflict');
  // A missing contact gets 404, as without If-Match.
  assertError(await agent.req('PATCH', '/api/contacts/999999',
    { title: 'C' }, { headers: { 'if-match': '*' } }), 404, 'not_found');
  assertError(await agent.req('DELETE', '/api/contacts/999999', undefined,
    { headers: { 'if-match': '*' } }), 404, 'not_found');
  const del = await agent.req('DELETE', `/api/contacts/${id}`, undefined,
    { headers: { 'if-match': '*' } });
  assert.equal(del.status, 200, del.text);
  assert.equal(del.body.archived, true);
});

test('if-match and body version must agree', async () => {
  const made = await agent.req('POST', '/api/contacts', { last_name: 'Both' });
  const id = made.body.id;
  const differ = await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'X', version: 5 }, { headers: { 'if-match': '"2"' } });
  assertError(differ, 422, 'invalid_value', 'version');
  assert.match(differ.body.error.message,
    /^If-Match gives version 2 and the body's 'version' gives 5: /);
  const still = await agent.req('GET', `/api/contacts/${id}`);
  assert.equal(still.body.title, null);
  const same = await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'X', version: 1 }, { headers: { 'if-match': '"1"' } });
  assert.equal(same.status, 200, same.text);
  assert.equal(same.body.version, 2);
});

test('parallel blind patches all apply', async () => {
  const made = await agent.req('POST', '/api/contacts', { last_name: 'Race' });
  const id = made.body.id;
  const titles = Array.from({ length: 20 }, (_, i) => `Title ${i}`);
  const replies = await Promise.all(titles.map((title) =>
    agent.req('PATCH', `/api/contacts/${id}`, { title })));
  for (const r of replies) assert.equal(r.status, 200, r.text);
  const got = await agent.req('GET', `/api/contacts/${id}`);
  assert.equal(got.body.version, 21, 'every blind write made a version');
  const last = replies.reduce((a, b) => (b.body.version > a.body.version ? b : a));
  assert.equal(got.body.title, last.body.title, 'the last write wins');
  const dels = await Promise.all([1, 2, 3].map(() =>
    agent.req('DELETE', `/api/contacts/${id}`)));
  for (const r of dels) assert.equal(r.status, 200, r.text);
});

test('version conflicts share one wording', async () => {
  const made = await agent.req('POST', '/api/contacts', { last_name: 'Word' });
  const id = made.body.id;
  await agent.req('PATCH', `/api/contacts/${id}`, { title: 'A' });
  const stale = await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'B' }, { headers: { 'if-match': '"1"' } });
  assertError(stale, 409, 'version_conflict', 'version');
  assert.match(stale.body.error.message,
    /^contact \d+ changed since version 1 was read.*; read it again and repeat the change$/);
});

test('invalid values name the field', async () => {
  const cases = [
    [{ last_name: 'x'.repeat(81) }, 'last_name'],
    [{ last_name: 'Ok', email: 'not an email' }, 'email'],
    [{ last_name: 'Ok', do_not_call: 'yes' }, 'do_not_call'],
    [{ last_name: 'Ok', shoe_size: 42 }, 'shoe_size'],
    [{ last_name: 7 }, 'last_name'],
  ];
  for (const [body, field] of cases) {
    const res = await agent.req('POST', '/api/contacts', body);
    assertError(res, 422, 'invalid_value', field);
  }
  assertError(await agent.req('POST', '/api/contacts', { title: 'Only' }),
    422, 'invalid_value');
  assertError(await agent.req('POST', '/api/contacts', '{"last_name":'), 400,
    'bad_json');
  assertError(await agent.req('POST', '/api/contacts', '"text"'), 400,
    'bad_json');
  const none = await agent.req('GET', '/api/contacts?q=Ok');
  assert.equal(none.body.total, 0, 'nothing invalid was stored');
});

test('read-only and unknown keys get 422', async () => {
  for (const key of ['id', 'version', 'phone_e164', 'salesforce', 'created_at']) {
    const res = await agent.req('POST', '/api/contacts',
      { last_name: 'Readonly', [key]: 7 });
    assertError(res, 422, 'invalid_value', key);
    assert.match(res.body.error.message, new RegExp(`^key '${key}' is read-only`));
  }
  const made = await agent.req('POST', '/api/contacts', { last_name: 'Idkeep' });
  assertError(await agent.req('PATCH', `/api/contacts/${made.body.id}`,
    { id: made.body.id + 1, title: 'x' }), 422, 'invalid_value', 'id');
  const admin = new Client(server.url);
  await admin.signIn(ADMIN);
  const extra = await admin.req('POST', '/api/users',
    { name: 'extra', role: 'agent', password: 'long enough pass', extra: 1 });
  assertError(extra, 422, 'invalid_value', 'extra');
  assert.match(extra.body.error.message,
    /^unknown key 'extra': this request takes only name, role, password$/);
  assertError(await agent.req('POST', '/api/pulls',
    { object: 'leads', force: true }), 422, 'invalid_value', 'force');
  assertError(await new Client(server.url).req('POST', '/api/session',
    { username: 'bob', password: 'x', remember: true }), 422, 'invalid_value',
  'remember');
  const none = await agent.req('GET', '/api/contacts?q=Readonly');
  assert.equal(none.body.total, 0);
});

test('bad JSON names the place only', async () => {
  const cases = [
    ['{"last_name": "x', 'line 1, column'],
    ['{"last_name": "a",\n "last_name": "b"}', 'line 2, column'],
    ['{"last_name": "a\\u0000b"}', 'line 1, column'],
  ];
  for (const [body, place] of cases) {
    const res = await agent.req('POST', '/api/contacts', body);
    assertError(res, 400, 'bad_json');
    const msg = res.body.error.message;
    assert.ok(msg.startsWith(`the body is not valid JSON at ${place}`), msg);
    assert.doesNotMatch(msg, /JSON_|near|last_name|'/, msg);
  }
});

test('delete archives the contact', async () => {
  const made = await agent.req('POST', '/api/contacts', { last_name: 'Gone' });
  const id = made.body.id;
  assertError(await agent.req('DELETE', `/api/contacts/${id}`, undefined,
    { headers: { 'if-match': '"7"' } }), 409, 'version_conflict');
  const del = await agent.req('DELETE', `/api/contacts/${id}`, undefined,
    { headers: { 'if-match': '"1"' } });
  assert.equal(del.status, 200, del.text);
  assert.equal(del.body.archived, true);
  assert.equal(del.body.version, 2);
  assert.equal((await agent.req('GET', '/api/contacts?q=Gone')).body.total, 0);
  assert.equal(
    (await agent.req('GET', '/api/contacts?q=Gone&archived=true')).body.total, 1);
  assertError(await agent.req('PATCH', `/api/contacts/${id}`,
    { title: 'Back' }), 422, 'invalid_value');
});

test('unknown contacts get 404', async () => {
  for (const path of ['/api/contacts/999999', '/api/contacts/abc',
    '/api/contacts/0', '/api/contacts/-3']) {
    assertError(await agent.req('GET', path), 404, 'not_found');
  }
  assertError(await agent.req('PATCH', '/api/contacts/999999',
    { title: 'x' }), 404, 'not_found');
  assertError(await agent.req('DELETE', '/api/contacts/999999'), 404,
    'not_found');
  assertError(await agent.req('PUT', '/api/contacts/1', {}), 405,
    'method_not_allowed');
});
