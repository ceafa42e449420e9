// SPDX-License-Identifier: MIT
// sfsync worker: several workers share the workspaces of one PostgreSQL
// database, each round under the workspace's lease. Runs only with
// SFSYNC_TEST_PG set (scripts/test.sh sets it).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, clientCredentials, Workdir, connectArgs, queryAll, setFaults,
  pgExec, sleep, TEST_PG,
} from './lib.mjs';

const skip = TEST_PG ? false : 'SFSYNC_TEST_PG is not set: sfsync worker '
  + 'runs only on a PostgreSQL store';

// A Workdir whose database holds count workspaces ws0, ws1, ..., each
// connected to an sfsim org of its own and holding local contacts.
async function workspaces(count, locals) {
  const w = new Workdir('sfsync-pg-worker-');
  const orgs = [];
  try {
    for (let i = 0; i < count; i++) {
      const sim = await startSim();
      orgs.push(sim);
      const global = [...w.globalArgs, '--workspace', `ws${i}`];
      await w.ok(['init'], { global });
      await w.ok(connectArgs(w, sim.url), { global });
      const { access_token: token } = await clientCredentials(sim.url);
      sim.token = token;
      for (let j = 0; j < locals; j++) {
        await w.ok(['contacts', 'add', '--last-name', `W${i}Local${j}`,
          '--email', `w${i}.local${j}@example.com`], { global });
      }
    }
  } catch (e) {
    await cleanUp(w, orgs);
    throw e;
  }
  return { w, orgs };
}

async function cleanUp(w, orgs) {
  w.remove();
  for (const sim of orgs) await sim.stop();
}

// The records of an org whose last name starts with prefix, Leads and
// Contacts together.
async function remoteNames(sim, prefix) {
  const names = [];
  for (const object of ['Lead', 'Contact']) {
    const res = await queryAll(sim.url, sim.token,
      `SELECT LastName FROM ${object} WHERE LastName LIKE '${prefix}%'`);
    names.push(...res.records.map((r) => r.LastName));
  }
  return names.sort();
}

function expectedNames(i, locals) {
  const names = [];
  for (let j = 0; j < locals; j++) names.push(`W${i}Local${j}`);
  return names.sort();
}

// The sync runs of the database: [{ws, worker, status, started, finished}].
function syncRuns(w) {
  const out = pgExec(w.db, "SELECT workspace_id, coalesce(worker, ''), status, "
    + "started_ms, coalesce(finished_ms, 0) FROM runs WHERE kind = 'sync' "
    + 'ORDER BY id');
  return out.split('\n').filter(Boolean).map((line) => {
    const [ws, worker, status, started, finished] = line.split('|');
    return { ws: Number(ws), worker, status, started: Number(started),
      finished: Number(finished) };
  });
}

// Fail when two runs of one workspace overlap in time.
function assertNoOverlap(runs) {
  for (const a of runs) {
    for (const b of runs) {
      if (a === b || a.ws !== b.ws || a.started > b.started) continue;
      const end = a.finished || Infinity;
      assert.ok(end <= b.started || a.status === 'abandoned',
        `runs of workspace ${a.ws} overlap: ${JSON.stringify([a, b])}`);
    }
  }
}

test('two workers sync each workspace exactly once', { skip }, async () => {
  const LOCALS = 4;
  const { w, orgs } = await workspaces(3, LOCALS);
  try {
    // Slow calls make the rounds overlap, so both workers contend.
    for (const sim of orgs) await setFaults(sim.url, { latency: 40 });
    const a = w.spawn(['worker', '--once', '--worker-id', 'a']);
    const b = w.spawn(['worker', '--once', '--worker-id', 'b']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.stderr + ra.stdout);
    assert.equal(rb.code, 0, rb.stderr + rb.stdout);

    const runs = syncRuns(w);
    assert.equal(runs.length, 3, JSON.stringify(runs));
    assert.deepEqual(runs.map((r) => r.ws).sort(), [1, 2, 3]);
    for (const r of runs) {
      assert.equal(r.status, 'ok', JSON.stringify(r));
      assert.match(r.worker, /^[ab]:[0-9a-f]{8}$/);
    }
    assertNoOverlap(runs);
    const rounds = (ra.stdout + rb.stdout).match(/^workspace 'ws\d': sync ok/gm);
    assert.equal(rounds.length, 3, ra.stdout + rb.stdout);
    for (let i = 0; i < orgs.length; i++) {
      assert.deepEqual(await remoteNames(orgs[i], 'W'), expectedNames(i, LOCALS),
        `records of ws${i}'s org`);
    }
    assert.equal(pgExec(w.db, "SELECT count(*) FROM leases WHERE owner <> ''").trim(),
      '0');
  } finally {
    await cleanUp(w, orgs);
  }
});

test('a killed worker\'s lease passes to another after it expires',
  { skip }, async () => {
    const LOCALS = 30;
    const { w, orgs } = await workspaces(1, LOCALS);
    const [sim] = orgs;
    try {
      await setFaults(sim.url, { latency: 1500 });
      const a = w.spawn(['worker', '--once', '--worker-id', 'a',
        '--lease-seconds', '2']);
      let running = [];
      for (let i = 0; i < 200 && !running.length; i++) {
        await sleep(50);
        running = syncRuns(w).filter((r) => r.status === 'running');
      }
      assert.equal(running.length, 1, 'the first worker started no round');
      // Past the first lease length: only renewals keep the lease.
      await sleep(3000);
      assert.equal(syncRuns(w)[0].status, 'running',
        'the round ended before the kill');
      a.proc.kill('SIGKILL');
      const ra = await a.done;
      assert.equal(ra.signal, 'SIGKILL');
      const holder = pgExec(w.db, 'SELECT owner FROM leases');
      assert.match(holder, /^a:/);

      // Still held: a second worker finds nothing to take.
      await setFaults(sim.url, { latency: 0 });
      const early = await w.ok(['worker', '--once', '--worker-id', 'b',
        '--lease-seconds', '2']);
      assert.equal(early.stdout, '');
      assert.equal(syncRuns(w).length, 1);

      await sleep(2200);
      const late = await w.ok(['worker', '--once', '--worker-id', 'b',
        '--lease-seconds', '2']);
      assert.match(late.stdout, /^workspace 'ws0': sync ok/m);
      const runs = syncRuns(w);
      assert.equal(runs.length, 2, JSON.stringify(runs));
      assert.equal(runs[0].status, 'abandoned');
      assert.match(runs[0].worker, /^a:/);
      assert.equal(runs[1].status, 'ok');
      assert.match(runs[1].worker, /^b:/);
      assertNoOverlap(runs);

      assert.deepEqual(await remoteNames(sim, 'W'), expectedNames(0, LOCALS));
      const global = [...w.globalArgs, '--workspace', 'ws0'];
      const list = await w.json(['contacts', 'list', '--json', '--limit',
        '1000'], { global });
      assert.equal(list.total, LOCALS);
      const linked = list.contacts.filter((c) => c.salesforce_id);
      assert.equal(linked.length, LOCALS);
      assert.equal(new Set(linked.map((c) => c.salesforce_id)).size, LOCALS);
      assert.equal(list.contacts.filter((c) => c.pending_changes).length, 0);
    } finally {
      await cleanUp(w, orgs);
    }
  });

test('an outbox entry wakes a sleeping worker', { skip }, async () => {
  const { w, orgs } = await workspaces(2, 1);
  const worker = w.spawn(['worker', '--poll', '300', '--worker-id', 'n']);
  try {
    let out = '';
    worker.proc.stdout.on('data', (d) => { out += d; });
    for (let i = 0; i < 200 && (out.match(/sync ok/g) || []).length < 2; i++) {
      await sleep(50);
    }
    assert.equal((out.match(/sync ok/g) || []).length, 2, out);
    await sleep(300);

    const started = Date.now();
    await w.ok(['contacts', 'add', '--last-name', 'W1Woken'],
      { global: [...w.globalArgs, '--workspace', 'ws1'] });
    let names = [];
    while (Date.now() - started < 5000 && !names.includes('W1Woken')) {
      await sleep(100);
      names = await remoteNames(orgs[1], 'W1');
    }
    assert.ok(names.includes('W1Woken'),
      `the edit did not reach Salesforce within 5 s: ${out}`);
    // Only the notified workspace synced again.
    const runs = syncRuns(w);
    assert.deepEqual(runs.map((r) => r.ws), [1, 2, 2], JSON.stringify(runs));
    assertNoOverlap(runs);

    worker.proc.kill('SIGTERM');
    const res = await worker.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(pgExec(w.db, "SELECT count(*) FROM leases WHERE owner <> ''").trim(),
      '0');
  } finally {
    worker.proc.kill('SIGKILL');
    await worker.done;
    await cleanUp(w, orgs);
  }
});

test('worker follows each workspace\'s poll_interval', { skip }, async () => {
  const { w, orgs } = await workspaces(2, 1);
  await w.ok(['config', 'set', 'poll_interval', '1'],
    { global: [...w.globalArgs, '--workspace', 'ws0'] });
  const worker = w.spawn(['worker', '--poll', '1', '--worker-id', 'p']);
  try {
    let out = '';
    worker.proc.stdout.on('data', (d) => { out += d; });
    const rounds = (name) => (out.match(
      new RegExp(`^workspace '${name}': sync ok`, 'gm')) || []).length;
    for (let i = 0; i < 200 && rounds('ws0') < 4; i++) await sleep(50);
    assert.ok(rounds('ws0') >= 4,
      `ws0, due 1 s after each round, synced ${rounds('ws0')} times: ${out}`);
    // ws1 keeps the default poll_interval of 30 s: one round only.
    assert.equal(rounds('ws1'), 1, out);

    worker.proc.kill('SIGTERM');
    const res = await worker.done;
    assert.equal(res.code, 0, res.stderr);
  } finally {
    worker.proc.kill('SIGKILL');
    await worker.done;
    await cleanUp(w, orgs);
  }
});

test('worker refuses a SQLite store', async () => {
  const w = new Workdir('sfsync-pg-worker-', { sqlite: true });
  try {
    await w.ok(['init']);
    const res = await w.exits(1, ['worker', '--once']);
    assert.match(res.stderr, /^sfsync: sfsync worker needs a PostgreSQL store, and '.*sfsync\.db' is a SQLite file/);
    const bad = await w.exits(1, ['worker', '--lease-seconds', '0']);
    assert.match(bad.stderr, /invalid --lease-seconds '0': give a whole number of seconds from 1 to 3600/);
  } finally {
    w.remove();
  }
});
