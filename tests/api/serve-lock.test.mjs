// SPDX-License-Identifier: MIT
// sfsync serve takes the workspace's "sync" lock around each round and each
// pull it runs, as sfsync pull, sync and worker do. A CLI pull beside it
// makes serve skip its round and reject a pull request with 409. A round
// or pull of serve makes a CLI pull fail. Each failure names the holder.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertError, setFaults, sleep, startStack, waitFor,
} from './lib.mjs';

let stack;
// The id of the newest pull run before a CLI pull starts, so that the
// pull's own run can be found among earlier ones.
let lastPullRun = 0;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=20,accounts=3'],
    config: { poll_interval: 2 },
  });
});

after(async () => {
  await setFaults(stack.sim.url, { latency: 0 });
  await stack.close();
});

// The runs of kind that serve's API lists, newest first.
async function runs(kind) {
  const res = await stack.admin.req('GET', `/api/runs?kind=${kind}&limit=200`);
  assert.equal(res.status, 200, res.text);
  return res.body.runs;
}

const LOCKED = /' is running on host '[^']+' as process \d+ since .* and holds this workspace's sync lock/;

// Start `sfsync pull contacts` beside serve and wait until it has the
// lock, which it takes before it records its run. A poll round of serve
// may have the lock at that moment, and then the pull starts again.
async function startCliPull() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pull = stack.server.w.spawn(['pull', 'contacts']);
    let exited = null;
    pull.done.then((res) => { exited = res; });
    const { value } = await waitFor(async () => {
      if (exited) return 'exited';
      const list = await stack.server.w.json(['runs', '--json']);
      return list.some((r) => r.kind === 'pull' && r.status === 'running'
        && r.id > lastPullRun) ? 'running' : null;
    }, 30000, 'the CLI pull run');
    if (value === 'running') return pull;
    assert.match(exited.stderr, LOCKED, exited.stderr);
    await sleep(200);
  }
  throw new Error('serve kept the lock through 50 attempts');
}

// Run `sfsync pull contacts --json` once no round of serve has the lock.
async function cliPullWhenFree() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await stack.server.w.run(['pull', 'contacts', '--json']);
    if (res.code === 0) return JSON.parse(res.stdout);
    assert.match(res.stderr, LOCKED, res.stderr);
    await sleep(200);
  }
  throw new Error('serve kept the lock through 50 attempts');
}

test('first round of serve finishes', async () => {
  await waitFor(async () => (await runs('sync')).some((r) => r.status === 'ok'),
    30000, 'an ok sync round');
});

test('CLI pull makes serve answer 409', async () => {
  lastPullRun = Math.max(0, ...(await runs('pull')).map((r) => r.id));
  await setFaults(stack.sim.url, { latency: 1500 });
  const pull = await startCliPull();
  try {
    const res = await stack.admin.req('POST', '/api/pulls', { object: 'contacts' });
    assertError(res, 409, 'conflict');
    assert.match(res.body.error.message, new RegExp(
      `'sfsync pull contacts' is running on host '[^']+' as process ${pull.proc.pid} since `));
    // The CLI pull's run is the only one running.
    const running = (await runs('pull')).filter((r) => r.status === 'running');
    assert.equal(running.length, 1, JSON.stringify(running));
  } finally {
    await setFaults(stack.sim.url, { latency: 0 });
  }
  const done = await pull.done;
  assert.equal(done.code, 0, done.stderr);
  // Once the CLI pull ends, the same request starts a pull of serve.
  const again = await stack.admin.req('POST', '/api/pulls', { object: 'contacts' });
  assert.equal(again.status, 202, again.text);
  await waitFor(async () => {
    const res = await stack.admin.req('GET', `/api/runs/${again.body.run_id}`);
    return res.body.status === 'ok';
  }, 30000, 'the pull of serve');
});

test('CLI pull makes serve skip its round', async () => {
  lastPullRun = Math.max(0, ...(await runs('pull')).map((r) => r.id));
  await setFaults(stack.sim.url, { latency: 1500 });
  const pull = await startCliPull();
  const before = (await runs('sync'))[0];
  const logBefore = stack.server.stderr.length;
  let created;
  try {
    // A local change wakes the sync thread at once.
    created = await stack.admin.req('POST', '/api/contacts',
      { last_name: 'Skipped', phone: '+1 415 555 0142' });
    assert.equal(created.status, 201, created.text);
    await waitFor(() => /sync round skipped/.test(
      stack.server.stderr.slice(logBefore)), 10000, 'the skip log line');
    const log = stack.server.stderr.slice(logBefore);
    assert.match(log, new RegExp(
      `sync round skipped .*'sfsync pull contacts' is running on host '[^']+' as process ${pull.proc.pid} since `));
    const now = (await runs('sync'))[0];
    assert.equal(now.id, before.id, 'serve ran a round beside the CLI pull');
  } finally {
    await setFaults(stack.sim.url, { latency: 0 });
  }
  const done = await pull.done;
  assert.equal(done.code, 0, done.stderr);
  // The next poll runs the round and pushes the change.
  await waitFor(async () => {
    const res = await stack.admin.req('GET', `/api/contacts/${created.body.id}`);
    return res.body.salesforce && res.body.salesforce.id;
  }, 20000, 'the push of the skipped change');
});

test('pull of serve makes a CLI pull fail', async () => {
  await setFaults(stack.sim.url, { latency: 1500 });
  try {
    const res = await stack.admin.req('POST', '/api/pulls', { object: 'contacts' });
    assert.equal(res.status, 202, res.text);
    const cli = await stack.server.w.fails(['pull', 'contacts']);
    assert.match(cli.stderr, new RegExp(
      `'sfsync serve' is running on host '[^']+' as process ${stack.server.proc.pid} since `));
  } finally {
    await setFaults(stack.sim.url, { latency: 0 });
  }
  await waitFor(async () => !(await runs('pull')).some((r) => r.status === 'running'),
    30000, 'the pull of serve to end');
  const cli = await cliPullWhenFree();
  assert.equal(cli.errors, 0);
});
