// SPDX-License-Identifier: MIT
// `sfsync serve` under a long pull: the API keeps replying while 100,000
// Contacts are pulled, and SIGTERM in the middle stops it between pages,
// exits 0 and leaves a store that the next pull goes on from.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ADMIN, Client, Server, connectArgs, startSim, waitFor } from './lib.mjs';

const TOTAL = 100000;

let sim;
let server;

before(async () => {
  sim = await startSim(['--generate', `contacts=${TOTAL},accounts=500`]);
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.w.ok(connectArgs(server.w, sim.url));
  // Rounds only push, so the manual pull is the only reader of Salesforce.
  await server.w.ok(['config', 'set', 'direction', 'to-salesforce']);
  // REST pages of 2,000 records, so that whole pages can be counted.
  await server.w.ok(['config', 'set', 'bulk_threshold', 'off']);
  await server.start();
});

after(async () => {
  server.w.remove();
  await sim.stop();
});

test('reads during a pull, then SIGTERM', async (t) => {
  const admin = new Client(server.url);
  await admin.signIn(ADMIN);
  const started = await admin.req('POST', '/api/pulls', { object: 'contacts' });
  assert.equal(started.status, 202, started.text);
  const runId = started.body.run_id;

  // Reads get replies while the pull writes page after page.
  const latencies = [];
  let seen = 0;
  const { value: run } = await waitFor(async () => {
    const t0 = Date.now();
    const list = await admin.req('GET', '/api/contacts?limit=50');
    latencies.push(Date.now() - t0);
    assert.equal(list.status, 200, list.text);
    assert.ok(list.body.total >= seen, 'the count only grows');
    seen = list.body.total;
    const r = await admin.req('GET', `/api/runs/${runId}`);
    assert.equal(r.body.status, 'running', r.text);
    return r.body.progress.done >= 10000 ? r.body : null;
  }, 120000, 'five pages of the pull');
  assert.equal(run.progress.expected, TOTAL);
  latencies.sort((a, b) => a - b);
  const p95 = latencies[Math.floor(latencies.length * 0.95)];
  t.diagnostic(`GET /api/contacts during the pull: ${latencies.length} `
    + `requests, p95 ${p95} ms, max ${latencies[latencies.length - 1]} ms`);
  assert.ok(p95 < 1000, `p95 of GET /api/contacts during the pull: ${p95} ms`);

  const t0 = Date.now();
  const res = await server.terminate();
  assert.equal(res.code, 0, res.stderr.slice(-3000));
  assert.ok(Date.now() - t0 < 15000, 'stopped within the grace period');
  assert.match(res.stderr, /pull stopped between pages/);

  // The run is recorded as stopped, with what was stored so far.
  const runs = await server.w.json(['runs', '--json']);
  const row = runs.find((r) => r.id === runId);
  assert.equal(row.status, 'stopped', JSON.stringify(row));
  const page = await server.w.json(['contacts', 'list', '--json', '--limit', '1']);
  assert.ok(page.total >= 10000, `${page.total} stored`);
  assert.ok(page.total < TOTAL, `${page.total} stored`);
  assert.equal(page.total % 2000, 0, 'only whole pages were stored');

  // After a restart, the next pull goes on where the stopped one ended.
  await server.start();
  const again = new Client(server.url);
  await again.signIn(ADMIN);
  const resumed = await again.req('POST', '/api/pulls', { object: 'contacts' });
  assert.equal(resumed.status, 202, resumed.text);
  const { value: last } = await waitFor(async () => {
    const r = await again.req('GET', `/api/runs/${resumed.body.run_id}`);
    return r.body.status !== 'running' ? r.body : null;
  }, 240000, 'the resumed pull');
  assert.equal(last.status, 'ok', JSON.stringify(last));
  assert.equal(last.counts.created, TOTAL - page.total, JSON.stringify(last));
  const all = await again.req('GET', '/api/contacts?limit=1');
  assert.equal(all.body.total, TOTAL);
  const res2 = await server.terminate();
  assert.equal(res2.code, 0, res2.stderr.slice(-3000));
});
