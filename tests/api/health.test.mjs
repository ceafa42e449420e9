// SPDX-License-Identifier: MIT
// GET /healthz of `sfsync serve` when the store fails under it: the
// database file is cut to nothing while the server runs.
import assert from 'node:assert/strict';
import { truncateSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { ADMIN, Server } from './lib.mjs';

let server;

before(async () => {
  server = new Server({ sqlite: true });
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.start();
});

after(async () => {
  await server.stop();
});

test('healthz answers 503 when the store fails', async () => {
  const ok = await fetch(`${server.url}/healthz`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { status: 'ok' });

  truncateSync(server.w.db, 0);
  const res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.status, 'unavailable');
  assert.match(body.reason, /malformed|not a database/, JSON.stringify(body));
  // The API reports the failure too, and the process keeps running.
  const api = await fetch(`${server.url}/api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: ADMIN.name, password: ADMIN.password }),
  });
  // A store failure is not answered as a wrong password.
  assert.equal(api.status, 503, await api.text());
  assert.equal(server.proc.exitCode, null);
});
