// SPDX-License-Identifier: MIT
// Requests whose reply a newcomer could misread: signing out with an API
// token, unknown keys in a request that takes none, and an unknown path.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ADMIN, Client, assertError, startStack } from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({ connect: false });
});

after(async () => {
  await stack.close();
});

test('token sign-out rejected, token kept', async () => {
  const token = (await stack.server.w.ok(['users', 'token', ADMIN.name]))
    .stdout.trim();
  const c = new Client(stack.server.url);
  c.bearer = token;
  const out = await c.req('DELETE', '/api/session');
  assertError(out, 400, 'bad_request');
  assert.equal(out.body.error.message,
    "an API token is not a session, so it stays valid: revoke it with "
    + "'sfsync --workspace default users token ada --revoke-all'");
  assert.equal((await c.req('GET', '/api/session')).status, 200);

  await stack.server.w.ok(['users', 'token', ADMIN.name, '--revoke-all']);
  assertError(await c.req('GET', '/api/session'), 401, 'unauthenticated');
});

test('keyless requests reject keys', async () => {
  const { admin } = stack;
  for (const path of ['/api/errors/retry', '/api/errors/1/retry',
    '/api/integration/verify', '/api/integration/disconnect']) {
    const res = await admin.req('POST', path, { x: 1 });
    assertError(res, 422, 'invalid_value', 'x');
    assert.match(res.body.error.message, /^unknown key 'x': this request takes no keys/);
  }
  const retry = await admin.req('POST', '/api/errors/retry', {});
  assert.equal(retry.status, 200, retry.text);
  const bare = await admin.req('POST', '/api/errors/retry');
  assert.equal(bare.status, 200, bare.text);
});

test('unknown API path names it', async () => {
  const res = await stack.agent.req('GET', '/api/contact');
  assertError(res, 404, 'not_found');
  assert.match(res.body.error.message, /^no resource at '\/api\/contact'/);
  assert.doesNotMatch(res.body.error.message, /docs\/api\.md/);
  for (const prefix of ['/api/contacts', '/api/integration', '/api/pulls',
    '/api/runs', '/api/errors', '/api/conflicts', '/api/users',
    '/api/session', '/api/server']) {
    assert.ok(res.body.error.message.includes(prefix),
      `the 404 message leaves out ${prefix}: ${res.body.error.message}`);
  }
});
