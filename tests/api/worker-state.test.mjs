// SPDX-License-Identifier: MIT
// GET /api/integration under `sfsync serve --all-workspaces`, where the
// sync rounds run outside serve (sfsync worker on PostgreSQL, sfsync sync
// on SQLite): its "sync" object shows those rounds from the store.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Client, Server, ADMIN, connectArgs, startSim } from './lib.mjs';
import { TEST_PG } from '../cli/lib.mjs';

const POLL_SECONDS = 120;

async function syncState(c) {
  const res = await c.req('GET', '/api/integration');
  assert.equal(res.status, 200, res.text);
  return res.body.sync;
}

test('all-workspaces sync state shows outside rounds', async () => {
  const sim = await startSim();
  const server = new Server();
  try {
    await server.init();
    await server.addUser(ADMIN.name, 'admin', ADMIN.password);
    await server.w.ok(connectArgs(server.w, sim.url));
    await server.w.ok(['config', 'set', 'poll_interval', String(POLL_SECONDS)]);
    await server.start(['--all-workspaces']);
    const c = new Client(server.url);
    const signIn = await c.req('POST', '/api/session', { workspace: 'default',
      username: ADMIN.name, password: ADMIN.password });
    assert.equal(signIn.status, 200, signIn.text);
    c.cookie = /^(sfsync_session=[^;]+)/.exec(signIn.headers.get('set-cookie'))[1];

    const before = await syncState(c);
    assert.equal(before.running, false);
    assert.equal(before.last_round_at, null);
    assert.equal(before.next_poll_at, null);

    const started = Date.now();
    await server.w.ok(TEST_PG ? ['worker', '--once'] : ['sync']);
    const ended = Date.now();
    const state = await syncState(c);
    assert.equal(state.running, false, JSON.stringify(state));
    assert.notEqual(state.last_round_at, null, JSON.stringify(state));
    const last = Date.parse(state.last_round_at);
    // The PostgreSQL server's clock may differ a little from this one.
    assert.ok(last >= started - 2000,
      `last_round_at ${state.last_round_at} is before the round started`);
    assert.ok(last <= ended + 2000,
      `last_round_at ${state.last_round_at} is after the round ended`);
    if (TEST_PG) {
      assert.notEqual(state.next_poll_at, null, JSON.stringify(state));
      assert.equal(Date.parse(state.next_poll_at) - last, POLL_SECONDS * 1000,
        JSON.stringify(state));
    } else {
      assert.equal(state.next_poll_at, null, JSON.stringify(state));
    }
  } finally {
    await server.stop();
    await sim.stop();
  }
});
