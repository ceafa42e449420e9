// SPDX-License-Identifier: MIT
// A pull of more records than bulk_threshold reads through a Bulk API 2.0
// query job: it stores what a REST pull stores, reads results in several
// pages, reports a Failed job, converges after a kill, and the first pull
// of a sync round takes the same path. Also the setting's validation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, Workdir, connectArgs, clientCredentials, setFaults, describeRun,
  sleep,
} from './lib.mjs';

const CONTACTS = 1200;
const BATCH = 200;
let sim;
let token;
let restContacts;
const workdirs = [];

after(async () => {
  for (const w of workdirs) w.remove();
  await sim.stop();
});

// A fresh connected work directory with bulk_threshold set to threshold.
async function workdir(threshold) {
  const w = new Workdir();
  workdirs.push(w);
  await w.ok(['init']);
  await w.ok(connectArgs(w, sim.url));
  await w.ok(['config', 'set', 'bulk_threshold', threshold]);
  return w;
}

// The local contacts without the values that depend on when and in which
// order they were stored, ordered by Salesforce id.
async function storedContacts(w) {
  const list = await w.contacts();
  return list
    .map(({ id, created_at: c, updated_at: u, version, ...rest }) => rest)
    .sort((a, b) => (a.salesforce_id < b.salesforce_id ? -1 : 1));
}

async function apiUsed() {
  const res = await fetch(`${sim.url}/sim/faults`);
  return (await res.json())['api-used'];
}

async function setBulkFail(rate) {
  const res = await fetch(`${sim.url}/sim/bulk-faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 'bulk-fail': rate }),
  });
  assert.equal(res.status, 200, await res.text());
}

// Bulk query jobs that sfsim logged as created since the log had
// offset characters.
function jobsCreated(offset) {
  return [...sim.stderr().slice(offset).matchAll(/bulk query job created id=(\w+)/g)]
    .map((m) => m[1]);
}

// One hook, so that the REST pull surely runs after sfsim has started.
before(async () => {
  sim = await startSim(['--generate', `contacts=${CONTACTS},leads=0,accounts=60`]);
  ({ access_token: token } = await clientCredentials(sim.url));
  const w = await workdir('off');
  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.created, CONTACTS);
  restContacts = await storedContacts(w);
});

test('pull at the threshold uses rest', async () => {
  const w = await workdir(String(CONTACTS));
  const log = sim.stderr().length;
  const res = await w.ok(['--log-level', 'info', 'pull', 'contacts', '--json',
    '--batch-size', String(BATCH)]);
  const sum = JSON.parse(res.stdout);
  assert.equal(sum.created, CONTACTS);
  assert.equal(sum.api_calls, CONTACTS / BATCH, 'a REST pull costs no COUNT()');
  assert.match(res.stderr, new RegExp(`api=rest count=${CONTACTS} threshold=${CONTACTS}`));
  assert.deepEqual(jobsCreated(log), []);
  const [run] = await w.json(['runs', '--json']);
  assert.equal(run.api, 'rest');
  assert.equal(run.expected, CONTACTS);
});

test('pull above the threshold uses bulk', async () => {
  const w = await workdir(String(CONTACTS - 1));
  const log = sim.stderr().length;
  const used = await apiUsed();
  const res = await w.ok(['--log-level', 'info', 'pull', 'contacts', '--json',
    '--batch-size', String(BATCH)]);
  const sum = JSON.parse(res.stdout);
  assert.equal(sum.total, CONTACTS);
  assert.equal(sum.created, CONTACTS);
  assert.equal(sum.errors, 0);
  assert.equal(sum.resumed, false);
  assert.equal(sum.api_calls, await apiUsed() - used);
  assert.match(res.stderr, new RegExp(`api=bulk count=${CONTACTS} threshold=${CONTACTS - 1}`));
  // Results pages of BATCH rows each.
  assert.match(res.stderr, new RegExp(`bulk pull read .*rows=${CONTACTS} pages=${CONTACTS / BATCH}`));
  const jobs = jobsCreated(log);
  assert.equal(jobs.length, 1, 'one bulk query job');
  assert.match(sim.stderr().slice(log), new RegExp(`bulk query job deleted id=${jobs[0]}`));
  assert.deepEqual(await storedContacts(w), restContacts);

  const [run] = await w.json(['runs', '--json']);
  assert.equal(run.api, 'bulk');
  assert.equal(run.expected, CONTACTS);
  assert.equal(run.created, CONTACTS);
  assert.match((await w.ok(['runs'])).stdout, /\(bulk API\)/);

  const again = await w.json(['pull', 'contacts', '--json']);
  assert.equal(again.unchanged, CONTACTS, 'a repeated bulk pull changes nothing');
  assert.equal(again.created, 0);
  assert.equal(again.updated, 0);
});

test('bulk and rest pulls leave one cursor', async () => {
  const rest = await workdir('off');
  const bulk = await workdir('0');
  await rest.ok(['pull', 'contacts']);
  await bulk.ok(['pull', 'contacts']);
  const used = await apiUsed();
  // A sync round reads from the cursor, so equal rounds mean equal cursors.
  const round = async (w) => {
    await w.ok(['config', 'set', 'direction', 'from-salesforce']);
    const { run_id: id, api_calls: calls, ...sum } = await w.json(['sync', '--json']);
    return sum;
  };
  const a = await round(rest);
  const b = await round(bulk);
  assert.deepEqual(b, a);
  assert.ok(await apiUsed() > used);
});

test('failed bulk job reported', async () => {
  const w = await workdir('0');
  await setBulkFail(1);
  try {
    const res = await w.exits(1, ['pull', 'contacts']);
    assert.match(res.stderr, /pull of contacts failed: bulk query job '\w+' failed: .*bulk-fail fault/);
    const [run] = await w.json(['runs', '--json']);
    assert.equal(run.status, 'failed');
    assert.equal(run.api, 'bulk');
    assert.match(run.message, /bulk query job '\w+' failed/);
    assert.equal((await w.contacts()).length, 0);
  } finally {
    await setBulkFail(0);
  }
  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.created, CONTACTS);
  assert.deepEqual(await storedContacts(w), restContacts);
});

test('killed bulk pull converges', async () => {
  const w = await workdir('0');
  await setFaults(sim.url, { latency: 200 });
  let partial = 0;
  try {
    const run = w.spawn(['pull', 'contacts', '--json', '--batch-size', String(BATCH)]);
    let exited = false;
    run.done.then(() => { exited = true; });
    while (!exited && partial === 0) {
      partial = (await w.json(['contacts', 'list', '--json', '--limit', '1'])).total;
      if (partial === 0) await sleep(20);
    }
    assert.ok(!exited, 'the pull ended before it could be killed');
    run.proc.kill('SIGKILL');
    const killed = await run.done;
    assert.equal(killed.signal, 'SIGKILL', describeRun(killed));
  } finally {
    await setFaults(sim.url, { latency: 0 });
  }
  partial = (await w.contacts()).length;
  assert.ok(partial > 0 && partial < CONTACTS, `${partial} contacts stored before the kill`);
  assert.equal(partial % BATCH, 0, 'a results page was stored in part');
  // The killed process left its run running; the next command marks it.
  const [killedRun] = await w.json(['runs', '--json']);
  assert.equal(killedRun.status, 'abandoned');
  assert.equal(killedRun.expected, CONTACTS);
  assert.equal(killedRun.created, partial, 'the run row counts the committed pages');
  assert.match((await w.ok(['runs'])).stdout,
    new RegExp(`\\(bulk API, ${partial}/${CONTACTS} records\\)`));

  const sum = await w.json(['pull', 'contacts', '--json', '--batch-size', String(BATCH)]);
  assert.equal(sum.resumed, true);
  assert.equal(sum.total, CONTACTS, 'unordered results are all read again');
  assert.equal(sum.created, CONTACTS - partial);
  assert.equal(sum.unchanged, partial, 'records read again write nothing');
  assert.equal(sum.updated, 0);
  assert.deepEqual(await storedContacts(w), restContacts);
  const next = await w.json(['pull', 'contacts', '--json']);
  assert.equal(next.resumed, false);
  assert.equal(next.unchanged, CONTACTS);
});

test('first sync round uses bulk', async () => {
  const w = await workdir(String(CONTACTS - 1));
  await w.ok(['config', 'set', 'objects', 'contacts']);
  await w.ok(['config', 'set', 'direction', 'from-salesforce']);
  const log = sim.stderr().length;
  const res = await w.ok(['--log-level', 'info', 'sync', '--json']);
  const sum = JSON.parse(res.stdout);
  assert.equal(sum.created, CONTACTS);
  assert.match(res.stderr, new RegExp(`first pull api chosen object=Contact api=bulk count=${CONTACTS}`));
  assert.equal(jobsCreated(log).length, 1);
  assert.deepEqual(await storedContacts(w), restContacts);
  // The cursor exists now, so the next round reads through REST.
  const later = sim.stderr().length;
  const next = await w.ok(['sync', '--json']);
  assert.equal(JSON.parse(next.stdout).created, 0);
  assert.deepEqual(jobsCreated(later), []);
});

test('bulk threshold validation', async () => {
  const w = await workdir('off');
  const valid = 'a whole number from 0 to 1000000000, or off';
  for (const value of ['-1', 'abc', '1.5', '1000000001', '', 'never']) {
    const res = await w.fails(['config', 'set', 'bulk_threshold', value]);
    assert.equal(res.stderr,
      `sfsync: invalid value '${value}' for setting 'bulk_threshold': use ${valid}\n`);
  }
  assert.equal((await w.ok(['config', 'get', 'bulk_threshold'])).stdout, 'off\n');
  for (const [input, stored] of [['OFF', 'off'], ['0', '0'], ['25000', '25000'],
    ['1000000000', '1000000000']]) {
    assert.equal((await w.ok(['config', 'set', 'bulk_threshold', input])).stdout,
      `bulk_threshold=${stored}\n`);
  }
  const help = await w.ok(['config', '--help']);
  assert.match(help.stdout, /bulk_threshold +records above which a full pull reads through Bulk API 2\.0/);
});
