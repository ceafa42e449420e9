// SPDX-License-Identifier: MIT
// Connecting `sfsync serve` from the page with the OAuth authorization
// code flow, PKCE and a one-use state, end to end: sfsim's authorize form
// is posted as a user's browser would post it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import {
  ADMIN, Client, Server, assertError, startSim, CLIENT_ID, CLIENT_SECRET,
} from './lib.mjs';

const REP = { name: 'rep@sfsim.local', password: 'rep-password-1' };

let sim;
let server;
let admin;

before(async () => {
  sim = await startSim(['--user', `${REP.name}:${REP.password}`,
    '--generate', 'contacts=20,leads=5,accounts=2']);
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.start();
  admin = new Client(server.url);
  await admin.signIn(ADMIN);
});

after(async () => {
  await server.stop();
  await sim.stop();
});

async function startFlow() {
  const res = await admin.req('POST', '/api/integration/connect', {
    flow: 'authorization_code', login_url: sim.url, client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  assert.equal(res.status, 200, res.text);
  return new URL(res.body.authorize_url);
}

// Read sfsim's authorize page and post its form with the user's
// credentials and the given button; returns the redirect's Location.
async function submitForm(authorizeUrl, user, approve = '1') {
  const page = await fetch(authorizeUrl);
  assert.equal(page.status, 200);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(m[1], m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'"));
  }
  assert.ok(form.get('state'), html);
  form.set('username', user.name);
  form.set('password', user.password);
  form.set('approve', approve);
  const res = await fetch(new URL('/services/oauth2/authorize', sim.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  });
  assert.equal(res.status, 302, await res.text());
  return res.headers.get('location');
}

// Follow the redirect to the callback as the browser does.
async function callback(location) {
  const res = await fetch(location, { redirect: 'manual' });
  assert.equal(res.status, 302);
  return res.headers.get('location');
}

test('authorize URL carries PKCE and state', async () => {
  const url = await startFlow();
  assert.equal(url.origin, sim.url);
  assert.equal(url.pathname, '/services/oauth2/authorize');
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
  assert.equal(url.searchParams.get('redirect_uri'),
    `${server.url}/oauth/callback`);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.match(url.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.match(url.searchParams.get('state'), /^[A-Za-z0-9_-]{22}$/);
  assert.doesNotMatch(url.href, new RegExp(CLIENT_SECRET));
});

test('denied authorization redirects with a reason', async () => {
  const url = await startFlow();
  const location = await submitForm(url, REP, '0');
  const back = await callback(location);
  assert.equal(back, '/#integration?error=access_denied');
  const now = await admin.req('GET', '/api/integration');
  assert.equal(now.body.connection.connected, false);
});

test('code flow connects, and the state is used once', async () => {
  const url = await startFlow();
  const location = await submitForm(url, REP);
  const to = new URL(location);
  assert.equal(`${to.origin}${to.pathname}`, `${server.url}/oauth/callback`);
  assert.equal(to.searchParams.get('state'), url.searchParams.get('state'));
  assert.equal(await callback(location), '/#integration?connected=1');
  const now = await admin.req('GET', '/api/integration');
  const c = now.body.connection;
  assert.equal(c.connected, true, now.text);
  assert.equal(c.healthy, true);
  assert.equal(c.grant, 'authorization_code');
  assert.equal(c.client_id, CLIENT_ID, now.text);
  assert.doesNotMatch(now.text, new RegExp(CLIENT_SECRET));
  assert.equal(c.username, REP.name);
  assert.equal(c.instance_url, sim.url);
  // The stored connection works for the API: a pull runs.
  const pull = await admin.req('POST', '/api/pulls', { object: 'contacts' });
  assert.equal(pull.status, 202, pull.text);
  // The same redirect again is refused: the state was used.
  const again = await callback(location);
  assert.equal(again, '/#integration?error=unknown_state');
});

test('unknown state is refused', async () => {
  const res = await fetch(`${server.url}/oauth/callback?code=abc&state=forged`,
    { redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), '/#integration?error=unknown_state');
  const none = await fetch(`${server.url}/oauth/callback`, { redirect: 'manual' });
  assert.equal(none.status, 302);
  // The description Salesforce or a crafted link sends is never echoed.
  const crafted = await fetch(`${server.url}/oauth/callback?state=forged&` +
    'error=server_error&error_description=Call%20555-0100%20now',
  { redirect: 'manual' });
  assert.doesNotMatch(crafted.headers.get('location'), /555/);
});

test('code flow needs a login URL and client id', async () => {
  assertError(await admin.req('POST', '/api/integration/connect',
    { flow: 'authorization_code', client_id: CLIENT_ID }), 422,
  'invalid_value', 'login_url');
  assertError(await admin.req('POST', '/api/integration/connect',
    { flow: 'authorization_code', login_url: sim.url }), 422,
  'invalid_value', 'client_id');
});

async function disconnect() {
  const res = await admin.req('POST', '/api/integration/disconnect');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.connection.connected, false);
}

// The callback's path and query sent to the server at base instead.
function callbackAt(location, base) {
  const to = new URL(location);
  return new URL(to.pathname + to.search, base).href;
}

test('callback finishes on a second serve process', async () => {
  await disconnect();
  // A second process of the same store, as a second API machine is.
  const other = new Server({ db: server.w.db, env: server.w.env });
  await other.start();
  try {
    const url = await startFlow();
    const location = await submitForm(url, REP);
    assert.equal(await callback(callbackAt(location, other.url)),
      '/#integration?connected=1');
    const now = await admin.req('GET', '/api/integration');
    assert.equal(now.body.connection.connected, true, now.text);
    assert.equal(now.body.connection.grant, 'authorization_code');
    assert.equal(now.body.connection.username, REP.name);
    // The state was used once, for both processes.
    assert.equal(await callback(location),
      '/#integration?error=unknown_state');
    assert.equal(await callback(callbackAt(location, other.url)),
      '/#integration?error=unknown_state');
  } finally {
    await other.stop();
  }
  // The client secret never reaches the log.
  assert.doesNotMatch(other.stderr, new RegExp(CLIENT_SECRET));
});

test('restart mid-flow still connects', async () => {
  await disconnect();
  const url = await startFlow();
  const location = await submitForm(url, REP);
  const res = await server.terminate();
  assert.equal(res.code, 0, res.stderr);
  await server.start();
  admin.url = server.url;
  // The browser comes back to the restarted server with a valid code.
  assert.equal(await callback(callbackAt(location, server.url)),
    '/#integration?connected=1');
  const now = await admin.req('GET', '/api/integration');
  assert.equal(now.body.connection.connected, true, now.text);
  assert.equal(now.body.connection.username, REP.name);
  assert.doesNotMatch(res.stderr, new RegExp(CLIENT_SECRET));
});

test('attempt ends with the admin who started it', async () => {
  const eve = { name: 'eve', password: 'eve passphrase 3' };
  const created = await admin.req('POST', '/api/users',
    { name: eve.name, role: 'admin', password: eve.password });
  assert.equal(created.status, 201, created.text);
  const client = new Client(server.url);
  await client.signIn(eve);
  const res = await client.req('POST', '/api/integration/connect', {
    flow: 'authorization_code', login_url: sim.url, client_id: CLIENT_ID,
  });
  assert.equal(res.status, 200, res.text);
  const location = await submitForm(new URL(res.body.authorize_url), REP);
  const deleted = await admin.req('DELETE', `/api/users/${eve.name}`);
  assert.equal(deleted.status, 204, deleted.text);
  assert.equal(await callback(location), '/#integration?error=unknown_state');
});

// The attempt's expiry is moved into the past in the SQLite file itself.
test('expired attempt is reported', {
  skip: process.env.SFSYNC_TEST_PG ? 'edits the SQLite file' : false,
}, async () => {
  const url = await startFlow();
  const location = await submitForm(url, REP);
  execFileSync('sqlite3', ['-cmd', '.timeout 10000', server.w.db,
    'UPDATE oauth_attempts SET expires_ms = 1']);
  assert.equal(await callback(location), '/#integration?error=expired');
  // The expired attempt was taken, so it is deleted.
  assert.equal(await callback(location), '/#integration?error=unknown_state');
  const left = execFileSync('sqlite3', ['-cmd', '.timeout 10000',
    server.w.db, 'SELECT count(*) FROM oauth_attempts']).toString().trim();
  assert.equal(left, '0');
});
