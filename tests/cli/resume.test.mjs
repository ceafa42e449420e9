// SPDX-License-Identifier: MIT
// An sfsync pull killed with SIGKILL after its first pages goes on where it
// stopped: the next pull reports resumed, and every record is stored once.
// The first pull into an empty SQLite store drops the phone and email
// indexes of the contacts, and the resumed pull creates them again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import {
  connectedSim, cleanUp, count, setFaults, describeRun, sleep, TEST_PG,
} from './lib.mjs';

const CONTACTS = 2000;
const BATCH = 200;
let env;

before(async () => {
  env = await connectedSim(['--generate', `contacts=${CONTACTS},accounts=20`,
    '--fault', 'latency=50']);
});

after(async () => { await cleanUp(env); });

// The phone and email indexes of the contacts in a SQLite store.
function contactIndexes(w) {
  return execFileSync('sqlite3', [w.db,
    "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN " +
    "('contacts_by_phone', 'contacts_by_mobile_phone', 'contacts_by_email') " +
    'ORDER BY name'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

const CONTACT_INDEXES = ['contacts_by_email', 'contacts_by_mobile_phone',
  'contacts_by_phone'];

// API requests sfsim has counted so far.
async function apiUsed(url) {
  const res = await fetch(`${url}/sim/faults`);
  return (await res.json())['api-used'];
}

test('killed pull resumes', async () => {
  const { sim, w, token } = env;
  const start = await apiUsed(sim.url);
  const run = w.spawn(['pull', 'contacts', '--json', '--batch-size', String(BATCH)]);
  // sfsync requests page N + 2 while it applies page N + 1, after it has
  // committed page N, so page 4 is requested after pages 1 and 2 are
  // committed.
  let exited = false;
  run.done.then(() => { exited = true; });
  while (!exited && await apiUsed(sim.url) < start + 4) await sleep(5);
  assert.ok(!exited, 'the pull ended before it could be killed');
  run.proc.kill('SIGKILL');
  const killed = await run.done;
  assert.equal(killed.signal, 'SIGKILL', describeRun(killed));

  const partial = await w.contacts();
  assert.ok(partial.length >= 2 * BATCH,
    `only ${partial.length} contacts stored before the kill`);
  assert.ok(partial.length < CONTACTS, 'the pull finished before the kill');
  assert.equal(partial.length % BATCH, 0, 'a page was stored in part');
  if (!TEST_PG) {
    assert.deepEqual(contactIndexes(w), [],
      'the first load kept the contact indexes');
  }

  await setFaults(sim.url, { latency: 0 });
  const sum = await w.json(['pull', 'contacts', '--json', '--batch-size', String(BATCH)]);
  assert.equal(sum.resumed, true);
  assert.equal(sum.created, CONTACTS - partial.length);
  assert.equal(sum.updated, 0);
  assert.equal(sum.errors, 0);
  assert.equal(sum.total, CONTACTS - partial.length,
    'the resumed query counts only the records after the resume point');
  if (!TEST_PG) assert.deepEqual(contactIndexes(w), CONTACT_INDEXES);

  const local = await w.contacts();
  assert.equal(local.length, await count(sim.url, token, 'SELECT COUNT() FROM Contact'));
  assert.equal(local.length, CONTACTS);
  const ids = local.map((c) => c.salesforce_id);
  assert.equal(new Set(ids).size, CONTACTS, 'a record was stored twice');
  // The contacts stored before the kill are untouched.
  const after = new Map(local.map((c) => [c.id, c]));
  for (const c of partial) assert.deepEqual(after.get(c.id), c);
});

test('pull after resume is complete', async () => {
  const { w } = env;
  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.resumed, false);
  assert.equal(sum.total, CONTACTS);
  assert.equal(sum.unchanged, CONTACTS);
  assert.equal(sum.created + sum.updated, 0);
});
