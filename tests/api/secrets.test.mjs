// SPDX-License-Identifier: MIT
// No secret of `sfsync serve` reaches its log: the client secret, the
// passwords (also one typed into the username field), API tokens, session
// ids, CSRF tokens, OAuth states and codes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ADMIN, AGENT, Client, CLIENT_ID, CLIENT_SECRET, startStack,
} from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({ connect: false,
    simArgs: ['--generate', 'contacts=20,accounts=2'] });
});

after(async () => {
  await stack.close();
});

test('log holds no secret', async () => {
  const { sim, server, admin } = stack;
  const secrets = [CLIENT_SECRET, ADMIN.password, AGENT.password,
    admin.csrf, admin.cookie.split('=')[1]];

  const wrongSecret = 'not-the-client-secret-42';
  secrets.push(wrongSecret);
  let res = await admin.req('POST', '/api/integration/connect', {
    flow: 'client_credentials', login_url: sim.url, client_id: CLIENT_ID,
    client_secret: wrongSecret,
  });
  assert.equal(res.status, 502, res.text);
  assert.doesNotMatch(res.text, new RegExp(wrongSecret));
  res = await admin.req('POST', '/api/integration/connect', {
    flow: 'client_credentials', login_url: sim.url, client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  assert.equal(res.status, 200, res.text);
  assert.doesNotMatch(res.text, new RegExp(CLIENT_SECRET));

  // Failed sign-ins, one with the password in the username field.
  const typo = 'my password in the name field';
  secrets.push(typo, 'wrong password 77');
  const c = new Client(server.url);
  await c.req('POST', '/api/session', { username: typo, password: 'x' });
  await c.req('POST', '/api/session',
    { username: ADMIN.name, password: 'wrong password 77' });
  const newUser = 'new user passphrase 5';
  secrets.push(newUser);
  res = await admin.req('POST', '/api/users',
    { name: 'erin', role: 'agent', password: newUser });
  assert.equal(res.status, 201, res.text);

  const tokenRun = await server.w.ok(['users', 'token', ADMIN.name]);
  const token = /sfs_[A-Za-z0-9_-]+/.exec(tokenRun.stdout)[0];
  secrets.push(token, 'sfs_forged_token_value');
  const b = new Client(server.url);
  b.bearer = token;
  assert.equal((await b.req('GET', '/api/session')).status, 200);
  b.bearer = 'sfs_forged_token_value';
  assert.equal((await b.req('GET', '/api/session')).status, 401);

  // An OAuth attempt whose code Salesforce rejects.
  res = await admin.req('POST', '/api/integration/connect', {
    flow: 'authorization_code', login_url: sim.url, client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  assert.equal(res.status, 200, res.text);
  const state = new URL(res.body.authorize_url).searchParams.get('state');
  const code = 'forged-authorization-code-123';
  secrets.push(state, code);
  const back = await fetch(
    `${server.url}/oauth/callback?state=${state}&code=${code}`,
    { redirect: 'manual' });
  assert.equal(back.status, 302);
  assert.doesNotMatch(back.headers.get('location'), new RegExp(code));

  const log = server.stderr;
  assert.match(log, /sign-in failed/);
  assert.match(log, /authorization code exchange failed/);
  for (const secret of secrets) {
    assert.ok(secret && secret.length >= 8, `secret '${secret}' is testable`);
    assert.equal(log.includes(secret), false,
      `the log contains '${secret}':\n${log.slice(-4000)}`);
  }
});
