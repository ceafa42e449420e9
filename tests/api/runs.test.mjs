// SPDX-License-Identifier: MIT
// Runs left "running" by a process that was killed: `sfsync serve`,
// `sfsync runs` and GET /api/runs mark them "abandoned", and leave the
// runs of live processes alone.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';

import {
  ADMIN, Client, Server, connectArgs, setFaults, startSim, waitFor,
} from './lib.mjs';

// A killed process's lock is freed when its PostgreSQL backend notices the
// closed connection and exits, which can take a moment after the kill.
const LOCK_FREED_MS = 10000;

let sim;
let server;

before(async () => {
  sim = await startSim(['--generate', 'contacts=6000,accounts=20']);
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.w.ok(connectArgs(server.w, sim.url));
  await server.w.ok(['config', 'set', 'direction', 'to-salesforce']);
  // Every API call takes a second, so a pull stays in its first pages.
  await setFaults(sim.url, { latency: 1000 });
});

after(async () => {
  await server.stop();
  await sim.stop();
});

// Start `sfsync pull contacts` and wait until its run, newer than run
// after, is recorded. A killed pull's run stays "running" until the next
// run begins, so it is told apart by its id.
async function startPull(after = 0) {
  const pull = server.w.spawn(['pull', 'contacts']);
  const { value: run } = await waitFor(async () => {
    const runs = await server.w.json(['runs', '--json']);
    return runs.find((r) => r.kind === 'pull' && r.status === 'running'
      && r.id > after);
  }, 30000, 'the pull run');
  return { pull, run };
}

async function kill(pull) {
  pull.proc.kill('SIGKILL');
  await once(pull.proc, 'close');
}

test('sfsync runs marks a killed pull abandoned', async () => {
  const { pull, run } = await startPull();
  // Still alive: listing the runs leaves it running.
  let runs = await server.w.json(['runs', '--json']);
  assert.equal(runs.find((r) => r.id === run.id).status, 'running');
  await kill(pull);
  const { value: row } = await waitFor(async () => {
    const list = await server.w.json(['runs', '--json']);
    const found = list.find((r) => r.id === run.id);
    return found.status !== 'running' && found;
  }, LOCK_FREED_MS, 'the killed pull\'s run to end');
  assert.equal(row.status, 'abandoned', JSON.stringify(row));
});

test('serve marks runs of ended processes abandoned', async () => {
  const first = await startPull();
  await kill(first.pull);
  const second = await startPull(first.run.id);
  await server.start();
  const admin = new Client(server.url);
  await admin.signIn(ADMIN);
  let res = await admin.req('GET', '/api/runs');
  assert.equal(res.status, 200, res.text);
  const byId = (id) => res.body.runs.find((r) => r.id === id);
  assert.equal(byId(first.run.id).status, 'abandoned', res.text);
  assert.match(byId(first.run.id).message, /no process holds the workspace lock/);
  assert.ok(byId(first.run.id).finished_at, res.text);
  assert.equal(byId(second.run.id).status, 'running', res.text);

  await kill(second.pull);
  await waitFor(async () => {
    res = await admin.req('GET', '/api/runs');
    return byId(second.run.id).status !== 'running';
  }, LOCK_FREED_MS, 'the killed pull\'s run to end');
  assert.equal(byId(second.run.id).status, 'abandoned', res.text);
  const one = await admin.req('GET', `/api/runs/${second.run.id}`);
  assert.equal(one.body.status, 'abandoned', one.text);
});
