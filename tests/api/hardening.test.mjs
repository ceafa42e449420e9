// SPDX-License-Identifier: MIT
// `sfsync serve` under attack: sign-in floods, path traversal, odd bodies
// and content types, CSRF, removed users, and secrets that must stay out
// of the log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, test } from 'node:test';

import {
  ADMIN, AGENT, Client, Server, assertError,
} from './lib.mjs';

let server;

before(async () => {
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.addUser(AGENT.name, 'agent', AGENT.password);
  await server.start();
});

after(async () => {
  await server.stop();
});

// The server's resident set and its peak so far, in KiB.
function memory() {
  const status = readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
  return {
    rss: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]),
    peak: Number(/^VmHWM:\s+(\d+) kB/m.exec(status)[1]),
  };
}

// GET path exactly as given: fetch would resolve the dot segments first.
function rawGet(path) {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET' },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
    req.on('error', reject);
    req.end();
  });
}

test('assets reject path traversal', async () => {
  for (const path of ['/assets/../../../../etc/passwd',
    '/assets/..%2f..%2f..%2fetc%2fpasswd', '/assets/%2e%2e/CMakeLists.txt',
    '/assets/..', '/assets/.%2e/index.html', '/assets//etc/passwd',
    '/assets/app.js%00.png', '/..%2f..%2fetc/passwd']) {
    const res = await rawGet(path);
    const text = res.text;
    assert.ok(res.status === 404 || res.status === 400,
      `${path}: ${res.status} ${text.slice(0, 200)}`);
    assert.doesNotMatch(text, /root:/);
  }
  const ok = await fetch(`${server.url}/assets/app.js`);
  assert.equal(ok.status, 200);
});

test('deeply nested JSON gets 400', async () => {
  const c = new Client(server.url);
  await c.signIn(ADMIN);
  const deep = `${'['.repeat(30000)}${']'.repeat(30000)}`;
  assertError(await c.req('POST', '/api/contacts', deep), 400, 'bad_json');
  const deepObj = `{"last_name":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`;
  assertError(await c.req('POST', '/api/contacts', deepObj), 400, 'bad_json');
  // Many keys within the size limit get a reply, not a stall.
  const wide = JSON.stringify(Object.fromEntries(
    Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])));
  assertError(await c.req('POST', '/api/contacts', wide), 422, 'invalid_value');
  const huge = JSON.stringify({ last_name: 'x'.repeat(70000) });
  assertError(await c.req('POST', '/api/contacts', huge), 413, 'too_large');
  const res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 200);
});

test('bodies need the JSON content type', async () => {
  const c = new Client(server.url);
  await c.signIn(ADMIN);
  const body = JSON.stringify({ last_name: 'Typed' });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x']) {
    assertError(await c.req('POST', '/api/contacts', body,
      { headers: { 'content-type': type } }), 415, 'unsupported_media_type');
  }
  // Sign-in by a cross-site form post is refused the same way.
  const form = await fetch(`${server.url}/api/session`, {
    method: 'POST', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ username: ADMIN.name, password: ADMIN.password }),
  });
  assert.equal(form.status, 415);
  assert.equal(form.headers.get('set-cookie'), null);
  const ok = await c.req('POST', '/api/contacts', body,
    { headers: { 'content-type': 'application/json; charset=utf-8' } });
  assert.equal(ok.status, 201, ok.text);
});

test('cookie without CSRF header changes nothing', async () => {
  const c = new Client(server.url);
  await c.signIn(ADMIN);
  const made = await c.req('POST', '/api/contacts', { last_name: 'Csrf' });
  assert.equal(made.status, 201, made.text);
  const id = made.body.id;
  for (const [method, path, body] of [
    ['POST', '/api/contacts', { last_name: 'Forged' }],
    ['PATCH', `/api/contacts/${id}`, { title: 'Forged' }],
    ['DELETE', `/api/contacts/${id}`, undefined],
    ['POST', '/api/users', { name: 'eve', role: 'admin', password: 'x'.repeat(12) }],
    ['DELETE', '/api/users/bob', undefined],
    ['PATCH', '/api/integration/settings', { direction: 'to-salesforce' }],
    ['POST', '/api/integration/disconnect', {}],
    ['POST', '/api/errors/retry', {}],
    ['DELETE', '/api/session', undefined],
  ]) {
    assertError(await c.req(method, path, body, { csrf: false }), 403,
      'csrf_failed');
    assertError(await c.req(method, path, body,
      { csrf: false, headers: { 'x-csrf-token': 'wrong' } }), 403, 'csrf_failed');
  }
  const now = await c.req('GET', `/api/contacts/${id}`);
  assert.equal(now.body.title, null);
  assert.equal(now.body.archived, false);
  const users = await c.req('GET', '/api/users');
  assert.deepEqual(users.body.users.map((u) => u.name).sort(), ['ada', 'bob']);
});

test('agent gets 403 on every admin endpoint', async () => {
  const c = new Client(server.url);
  await c.signIn(AGENT);
  for (const [method, path, body] of [
    ['GET', '/api/users', undefined],
    ['POST', '/api/users', { name: 'eve', role: 'admin', password: 'x'.repeat(12) }],
    ['DELETE', '/api/users/ada', undefined],
    ['PATCH', '/api/integration/settings', { direction: 'to-salesforce' }],
    ['POST', '/api/integration/connect', { flow: 'client_credentials' }],
    ['POST', '/api/integration/disconnect', {}],
    ['POST', '/api/integration/verify', {}],
  ]) {
    assertError(await c.req(method, path, body), 403, 'forbidden');
  }
});

test('removed user loses sessions and tokens', async () => {
  await server.addUser('carol', 'agent', 'carol passphrase 3');
  const tokenRun = await server.w.ok(['users', 'token', 'carol']);
  const token = /sfs_[A-Za-z0-9_-]+/.exec(tokenRun.stdout)[0];
  const c = new Client(server.url);
  await c.signIn({ name: 'carol', password: 'carol passphrase 3' });
  const b = new Client(server.url);
  b.bearer = token;
  assert.equal((await b.req('GET', '/api/session')).status, 200);

  const admin = new Client(server.url);
  await admin.signIn(ADMIN);
  assert.equal((await admin.req('DELETE', '/api/users/carol')).status, 204);
  assertError(await c.req('GET', '/api/contacts'), 401, 'unauthenticated');
  assertError(await b.req('GET', '/api/contacts'), 401, 'unauthenticated');
  // A new user that may get the same row id does not inherit them.
  await server.addUser('dave', 'admin', 'dave passphrase 4');
  assertError(await c.req('GET', '/api/session'), 401, 'unauthenticated');
  assertError(await b.req('GET', '/api/session'), 401, 'unauthenticated');

  // A signed-out session stays out.
  const d = new Client(server.url);
  await d.signIn({ name: 'dave', password: 'dave passphrase 4' });
  const cookie = d.cookie;
  assert.equal((await d.req('DELETE', '/api/session')).status, 204);
  d.cookie = cookie;
  assertError(await d.req('GET', '/api/users'), 401, 'unauthenticated');
  assert.equal((await admin.req('DELETE', '/api/users/dave')).status, 204);
});

test('callback redirect stays on the page', async () => {
  for (const q of [
    'error=x%0d%0aSet-Cookie:%20evil=1&error_description=a%0d%0aLocation:%20http://evil.test/',
    'state=%0d%0aSet-Cookie:%20evil=1',
    'error=access_denied&error_description=%E2%80%A8%3Cscript%3E',
  ]) {
    const res = await fetch(`${server.url}/oauth/callback?${q}`,
      { redirect: 'manual' });
    assert.equal(res.status, 302);
    const location = res.headers.get('location');
    assert.match(location, /^\/#integration(\?error=[A-Za-z0-9%._~-]*)?$/, location);
    assert.equal(res.headers.get('set-cookie'), null);
  }
});

// Last, since its failures slow down further sign-ins from this address.
test('sign-in flood is answered in bounded memory', async () => {
  const before = memory();
  // Distinct names, so that the per-user slowing does not reject them
  // before the password check runs.
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    new Client(server.url).req('POST', '/api/session',
      { username: `flood${i}`, password: 'wrong password' })));
  for (const res of replies) {
    assert.ok(res.status === 401 || res.status === 429, res.text);
  }
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  // Each Argon2id check takes 64 MiB; 20 at once would take 1280 MiB.
  const grown = memory().peak - Math.max(before.rss, 0);
  assert.ok(grown < 400 * 1024,
    `the peak resident set grew by ${grown} KiB during the flood`);
  assert.equal(server.proc.exitCode, null);
});
