// SPDX-License-Identifier: MIT
// GET /api/conflicts lists the fields changed on both sides, against a
// real sfsync serve and sfsim.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ADMIN, Client, Server, clientCredentials, connectArgs, startSim,
} from './lib.mjs';

const V = '/services/data/v60.0';

let sim;
let server;

before(async () => {
  sim = await startSim(['--generate', 'contacts=5,accounts=2']);
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.w.ok(connectArgs(server.w, sim.url));
  await server.w.ok(['config', 'set', 'conflict_policy', 'salesforce']);
  await server.w.ok(['sync']);
});

after(async () => {
  await server.stop();
  await sim.stop();
});

test('conflicts endpoint lists a settled field', async () => {
  const c = (await server.w.contacts()).find((x) => x.salesforce_object === 'Contact');
  await server.w.ok(['contacts', 'update', String(c.id), '--title', 'Local title']);
  const res = await fetch(`${sim.url}${V}/sobjects/Contact/${c.salesforce_id}`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${(await clientCredentials(sim.url)).access_token}`, 'content-type': 'application/json',
    },
    body: JSON.stringify({ Title: 'Remote title' }),
  });
  assert.equal(res.status, 204);
  const round = await server.w.json(['sync', '--json']);
  assert.equal(round.conflicts, 1);

  await server.start();
  const admin = new Client(server.url);
  await admin.signIn(ADMIN);
  const list = await admin.req('GET', '/api/conflicts');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.body.conflicts.length, 1, list.text);
  const [k] = list.body.conflicts;
  assert.equal(k.contact_id, c.id);
  assert.equal(k.field, 'title');
  assert.equal(k.local_value, 'Local title');
  assert.equal(k.salesforce_value, 'Remote title');
  assert.equal(k.winner, 'salesforce');
  assert.equal(k.policy, 'salesforce');
  assert.equal(k.run_id, round.run_id);

  const other = await admin.req('GET', `/api/conflicts?run=${round.run_id + 1}`);
  assert.deepEqual(other.body.conflicts, []);
  const bad = await admin.req('GET', '/api/conflicts?run=x');
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.field, 'run');
  const anon = await new Client(server.url).req('GET', '/api/conflicts');
  assert.equal(anon.status, 401);
});
