// SPDX-License-Identifier: MIT
// `sfsync users` and `sfsync serve` from the command line next to a
// running server: the CLI keeps the last admin as the API does, changes
// passwords and revokes API tokens, and the server sees each change at the
// next request; a listen address beyond loopback gets a warning.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ADMIN, AGENT, Client, Server, assertError } from './lib.mjs';

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

test('CLI keeps the last admin', async () => {
  const res = await server.w.fails(['users', 'remove', ADMIN.name]);
  assert.match(res.stderr, /'ada' is the last admin/);
  assert.match(res.stderr, /sfsync users add NAME --role admin/);
  const list = await server.w.json(['users', 'list', '--json']);
  assert.deepEqual(list.users.map((u) => u.name), [ADMIN.name, AGENT.name]);
  await server.addUser('cleo', 'admin', 'second admin passphrase');
  await server.w.ok(['users', 'remove', 'cleo']);
});

test('password change ends sessions', async () => {
  const browser = new Client(server.url);
  await browser.signIn(AGENT);
  const file = server.w.file('new-password', 'a brand new passphrase\n');
  const res = await server.w.ok(['users', 'password', AGENT.name,
    '--password-file', file]);
  assert.match(res.stdout, /changed the password of 'bob'/);
  assertError(await browser.req('GET', '/api/contacts'), 401,
    'unauthenticated');
  const old = await new Client(server.url).req('POST', '/api/session',
    { username: AGENT.name, password: AGENT.password });
  assert.equal(old.status, 401, old.text);
  await new Client(server.url).signIn(
    { name: AGENT.name, password: 'a brand new passphrase' });
  const missing = await server.w.fails(['users', 'password', 'nobody',
    '--password-file', file]);
  assert.match(missing.stderr, /user 'nobody' not found/);
  const short = server.w.file('short-password', 'short\n');
  const bad = await server.w.fails(['users', 'password', AGENT.name,
    '--password-file', short]);
  assert.match(bad.stderr, /8 to 1024 bytes/);
});

test('token revoke-all ends API access', async () => {
  const tokens = [];
  for (let i = 0; i < 2; i++) {
    tokens.push((await server.w.ok(['users', 'token', ADMIN.name]))
      .stdout.trim());
  }
  const program = new Client(server.url);
  program.bearer = tokens[0];
  assert.equal((await program.req('GET', '/api/contacts')).status, 200);
  const res = await server.w.ok(['users', 'token', ADMIN.name,
    '--revoke-all']);
  assert.match(res.stdout, /revoked 2 API tokens of 'ada'/);
  for (const token of tokens) {
    program.bearer = token;
    assertError(await program.req('GET', '/api/contacts'), 401,
      'unauthenticated');
  }
});

// 192.0.2.1 is TEST-NET-1 (RFC 5737), an address of no local interface,
// so the server prints its warning and then fails to bind: the test
// never listens beyond 127.0.0.1.
test('listening beyond loopback warns of plain HTTP', async () => {
  const res = await server.w.fails(['serve', '--listen', '192.0.2.1:0']);
  assert.match(res.stderr,
    /warning: listening on '192\.0\.2\.1' without TLS, so the page, sign-ins and session cookies travel unencrypted; put a TLS proxy in front/);
  // The running server holds its port, so this one fails to bind too.
  const port = new URL(server.url).port;
  const local = await server.w.fails(['serve', '--listen', `127.0.0.1:${port}`]);
  assert.match(local.stderr, /cannot listen/);
  assert.doesNotMatch(local.stderr, /without TLS/);
});
