// SPDX-License-Identifier: MIT
// Sign-in, sessions, CSRF, API tokens, roles, throttling, users, health,
// metrics and the page's files of `sfsync serve`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ADMIN, AGENT, Client, Server, assertError, sleep,
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

test('sign-in sets a strict HttpOnly cookie', async () => {
  const c = new Client(server.url);
  const res = await c.signIn(ADMIN);
  const cookie = res.headers.get('set-cookie');
  assert.match(cookie, /^sfsync_session=[A-Za-z0-9_-]{43};/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(cookie, /Path=\//);
  assert.deepEqual(res.body.user, { name: 'ada', role: 'admin' });
  assert.match(res.body.csrf_token, /^[A-Za-z0-9_-]{43}$/);
  const again = await c.req('GET', '/api/session');
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, res.body);
});

test('sign-out ends the session', async () => {
  const c = new Client(server.url);
  await c.signIn(AGENT);
  const out = await c.req('DELETE', '/api/session');
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie'), /Max-Age=0/);
  assertError(await c.req('GET', '/api/session'), 401, 'unauthenticated');
});

test('API without sign-in answers 401', async () => {
  const c = new Client(server.url);
  for (const path of ['/api/contacts', '/api/integration', '/api/runs',
    '/api/errors', '/api/users', '/api/session', '/metrics',
    '/api/no-such-thing']) {
    assertError(await c.req('GET', path), 401, 'unauthenticated');
  }
  c.cookie = 'sfsync_session=forged-value';
  assertError(await c.req('GET', '/api/contacts'), 401, 'unauthenticated');
});

test('unknown user and wrong password answer alike', async () => {
  const c = new Client(server.url);
  const wrong = await c.req('POST', '/api/session',
    { username: 'ada', password: 'not the password' });
  const unknown = await c.req('POST', '/api/session',
    { username: 'nobody-at-all', password: 'not the password' });
  assertError(wrong, 401, 'invalid_credentials');
  assertError(unknown, 401, 'invalid_credentials');
  assert.equal(wrong.body.error.message, unknown.body.error.message);
  assert.equal(wrong.headers.get('set-cookie'), null);
});

test('sign-in rejects bad bodies', async () => {
  const c = new Client(server.url);
  assertError(await c.req('POST', '/api/session', '{"username":'), 400,
    'bad_json');
  assertError(await c.req('POST', '/api/session', '[1,2]'), 400, 'bad_json');
  assertError(await c.req('POST', '/api/session', { username: 'ada' }), 422,
    'invalid_value', 'password');
  assertError(await c.req('POST', '/api/session',
    { username: 7, password: 'x' }), 422, 'invalid_value', 'username');
});

test('failed sign-ins are slowed per user', async () => {
  const c = new Client(server.url);
  const user = { name: 'carol', password: 'carol passphrase 3' };
  await server.addUser(user.name, 'agent', user.password);
  for (let i = 0; i < 3; i++) {
    assertError(await c.req('POST', '/api/session',
      { username: 'carol', password: `wrong ${i}` }), 401,
    'invalid_credentials');
  }
  // The fourth try within a second waits, even with the right password.
  const slowed = await c.req('POST', '/api/session',
    { username: 'carol', password: user.password });
  assertError(slowed, 429, 'too_many_attempts');
  assert.equal(slowed.headers.get('retry-after'), '1');
  await sleep(1100);
  // After the wait a failure doubles the delay to 2 s.
  assertError(await c.req('POST', '/api/session',
    { username: 'carol', password: 'wrong again' }), 401,
  'invalid_credentials');
  const doubled = await c.req('POST', '/api/session',
    { username: 'carol', password: user.password });
  assertError(doubled, 429, 'too_many_attempts');
  assert.equal(doubled.headers.get('retry-after'), '2');
  await sleep(2100);
  const ok = await c.signIn(user);
  assert.equal(ok.body.user.name, 'carol');
  // The client address was slowed too, and success cleared both.
  const other = new Client(server.url);
  await other.signIn(AGENT);
});

test('cookie changes need the CSRF header', async () => {
  const c = new Client(server.url);
  await c.signIn(ADMIN);
  const body = { last_name: 'Csrf' };
  assertError(await c.req('POST', '/api/contacts', body, { csrf: false }),
    403, 'csrf_failed');
  assertError(await c.req('POST', '/api/contacts', body,
    { csrf: false, headers: { 'x-csrf-token': 'wrong' } }), 403,
  'csrf_failed');
  const list = await c.req('GET', '/api/contacts?q=Csrf', undefined,
    { csrf: false });
  assert.equal(list.status, 200);
  assert.equal(list.body.total, 0, 'a rejected request wrote nothing');
  const made = await c.req('POST', '/api/contacts', body);
  assert.equal(made.status, 201, made.text);
});

test('bearer token works without CSRF', async () => {
  const res = await server.w.ok(['users', 'token', AGENT.name]);
  const token = res.stdout.trim();
  assert.match(token, /^sfs_[A-Za-z0-9_-]{43}$/);
  assert.doesNotMatch(res.stderr, /sfs_/, 'the token is printed once');
  const c = new Client(server.url);
  c.bearer = token;
  const who = await c.req('GET', '/api/session');
  assert.equal(who.status, 200);
  assert.deepEqual(who.body.user, { name: 'bob', role: 'agent' });
  assert.equal(who.body.csrf_token, null);
  const made = await c.req('POST', '/api/contacts', { last_name: 'Bearer' });
  assert.equal(made.status, 201, made.text);
  c.bearer = `${token}x`;
  assertError(await c.req('GET', '/api/contacts'), 401, 'unauthenticated');
  c.bearer = 'not-a-token';
  assertError(await c.req('GET', '/api/contacts'), 401, 'unauthenticated');
});

test('agent gets 403 on admin requests', async () => {
  const c = new Client(server.url);
  await c.signIn(AGENT);
  assertError(await c.req('GET', '/api/users'), 403, 'forbidden');
  assertError(await c.req('POST', '/api/users',
    { name: 'eve', role: 'admin', password: 'eve passphrase' }), 403,
  'forbidden');
  assertError(await c.req('DELETE', '/api/users/ada'), 403, 'forbidden');
  assertError(await c.req('PATCH', '/api/integration/settings',
    { enabled: true }), 403, 'forbidden');
  assertError(await c.req('POST', '/api/integration/connect',
    { flow: 'client_credentials' }), 403, 'forbidden');
  assertError(await c.req('POST', '/api/integration/disconnect'), 403,
    'forbidden');
  assertError(await c.req('POST', '/api/integration/verify'), 403,
    'forbidden');
  // What an agent may do.
  assert.equal((await c.req('GET', '/api/integration')).status, 200);
  assert.equal((await c.req('GET', '/api/runs')).status, 200);
  assert.equal((await c.req('GET', '/api/errors')).status, 200);
  assert.equal((await c.req('POST', '/api/errors/retry')).status, 200);
});

test('admin manages users', async () => {
  const c = new Client(server.url);
  await c.signIn(ADMIN);
  const made = await c.req('POST', '/api/users',
    { name: 'dave', role: 'agent', password: 'dave passphrase' });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.body.name, 'dave');
  assert.equal(made.body.role, 'agent');
  assert.equal(made.body.password_hash, undefined);
  assertError(await c.req('POST', '/api/users',
    { name: 'dave', role: 'agent', password: 'dave passphrase' }), 409,
  'conflict');
  assertError(await c.req('POST', '/api/users',
    { name: 'bad name!', role: 'agent', password: 'dave passphrase' }), 422,
  'invalid_value', 'name');
  assertError(await c.req('POST', '/api/users',
    { name: 'erin', role: 'boss', password: 'erin passphrase' }), 422,
  'invalid_value', 'role');
  assertError(await c.req('POST', '/api/users',
    { name: 'erin', role: 'agent', password: 'short' }), 422,
  'invalid_value', 'password');
  const list = await c.req('GET', '/api/users');
  assert.deepEqual(list.body.users.map((u) => u.name).sort(),
    ['ada', 'bob', 'carol', 'dave']);
  const dave = new Client(server.url);
  await dave.signIn({ name: 'dave', password: 'dave passphrase' });
  assert.equal((await c.req('DELETE', '/api/users/dave')).status, 204);
  assertError(await dave.req('GET', '/api/contacts'), 401, 'unauthenticated');
  assertError(await c.req('DELETE', '/api/users/dave'), 404, 'not_found');
  assertError(await c.req('DELETE', '/api/users/ada'), 409, 'conflict');
});

test('healthz needs no sign-in', async () => {
  const res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('HEAD works where GET does', async () => {
  for (const path of ['/healthz', '/', '/assets/app.js']) {
    const res = await fetch(`${server.url}${path}`, { method: 'HEAD' });
    assert.equal(res.status, 200, path);
    assert.equal(await res.text(), '', path);
    assert.ok(res.headers.get('content-type'), path);
  }
  const c = new Client(server.url);
  await c.signIn(AGENT);
  const api = await c.req('HEAD', '/api/contacts');
  assert.equal(api.status, 200);
  assert.equal(api.text, '');
  assert.equal(api.headers.get('cache-control'), 'no-store');
});

test('405 lists the allowed methods', async () => {
  const c = new Client(server.url);
  await c.signIn(ADMIN);
  const res = await c.req('PUT', '/api/contacts');
  assertError(res, 405, 'method_not_allowed');
  assert.equal(res.headers.get('allow'), 'GET, POST, HEAD');
  assert.match(res.body.error.message, /use GET, POST, HEAD$/);
  const health = await fetch(`${server.url}/healthz`, { method: 'DELETE' });
  assert.equal(health.status, 405);
  assert.equal(health.headers.get('allow'), 'GET, HEAD');
  // HEAD of the OAuth callback would use up a sign-in attempt.
  const callback = await fetch(`${server.url}/oauth/callback?state=x`,
    { method: 'HEAD', redirect: 'manual' });
  assert.equal(callback.status, 405);
  assert.equal(callback.headers.get('allow'), 'GET');
});

test('metrics need a sign-in', async () => {
  const anon = new Client(server.url);
  assertError(await anon.req('GET', '/metrics'), 401, 'unauthenticated');
  const c = new Client(server.url);
  await c.signIn(AGENT);
  const res = await c.req('GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  for (const name of ['sfsync_records_pushed_total',
    'sfsync_records_pulled_total', 'sfsync_conflicts_total',
    'sfsync_sync_errors', 'sfsync_api_calls_total',
    'sfsync_runs_in_progress', 'sfsync_connection_healthy']) {
    assert.match(res.text, new RegExp(`^${name} \\d+$`, 'm'), name);
  }
  assert.match(res.text,
    /^sfsync_last_success_timestamp_seconds\{object="Contact"\} \d+$/m);
  assert.match(res.text, /^sfsync_connection_healthy 0$/m);
});

test('page files carry security headers', async () => {
  const res = await fetch(`${server.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(await res.text(), /<html/i);
  assert.equal(res.headers.get('content-security-policy'), "default-src 'self'");
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  const js = await fetch(`${server.url}/assets/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const css = await fetch(`${server.url}/assets/app.css`);
  assert.match(css.headers.get('content-type'), /^text\/css/);
  assert.equal((await fetch(`${server.url}/assets/nope.js`)).status, 404);
  const api = await fetch(`${server.url}/api/contacts`);
  assert.equal(api.headers.get('x-frame-options'), 'DENY');
});

test('oversized bodies get 413', async () => {
  const c = new Client(server.url);
  await c.signIn(ADMIN);
  const res = await c.req('POST', '/api/contacts',
    JSON.stringify({ last_name: 'x'.repeat(70000) }));
  assertError(res, 413, 'too_large');
});
