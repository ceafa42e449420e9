// SPDX-License-Identifier: MIT
// Races between a rep's edits in Salesforce and local edits, against a
// real sfsim. The first link of a local contact to a record made in
// Salesforce merges both sides under conflict_policy, and a rep's edit
// made after a round's pull is not overwritten by that round's push.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, Workdir, connectArgs, api, passwordGrantFor, setFaults, sleep,
  V, CLIENT_SECRET,
} from './lib.mjs';

const REP = 'rep@sfsim.local';
const REP_PASSWORD = 'Rep-pass-1';

// A fresh org with a rep, a connected and synced work directory and the
// rep's token.
async function withOrg(fn) {
  const sim = await startSim(['--generate', 'contacts=6,leads=3,accounts=2',
    '--user', `${REP}:${REP_PASSWORD}`]);
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['sync', '--json']);
    const rep = await passwordGrantFor(sim.url, REP, REP_PASSWORD,
      CLIENT_SECRET);
    await fn({ sim, w, token: rep.access_token });
  } finally {
    w.remove();
    await sim.stop();
  }
}

async function sfCreate(sim, token, object, body) {
  const res = await api(sim.url, token, 'POST', `${V}/sobjects/${object}`,
    body);
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

async function sfGet(sim, token, object, id, fields) {
  const res = await api(sim.url, token, 'GET',
    `${V}/sobjects/${object}/${id}?fields=${fields}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

// The local contact with email, which must be the only one.
async function contactByEmail(w, email) {
  const found = (await w.contacts()).filter((c) => c.email === email);
  assert.equal(found.length, 1, `one local contact with ${email}`);
  return w.json(['contacts', 'show', String(found[0].id), '--json']);
}

// The rep creates Contact Race3 and the same person is added locally, in
// the order given, 2 s apart so that newest can tell them apart. Then
// command runs once; returns its JSON summary, the local contact and the
// record.
async function raceFirstLink({ sim, w, token }, { localFirst, command }) {
  const email = 'race3@race.example';
  const createRecord = () => sfCreate(sim, token, 'Contact', {
    LastName: 'Race3', Email: email, Title: 'SFTitle3',
    Department: 'Remote Dept',
  });
  const addLocal = () => w.ok(['contacts', 'add', '--last-name', 'Race3',
    '--email', email, '--title', 'LocalTitle3', '--city', 'Local City']);
  let id;
  if (localFirst) {
    await addLocal();
    await sleep(2100);
    id = await createRecord();
  } else {
    id = await createRecord();
    await sleep(2100);
    await addLocal();
  }
  const summary = await w.json([...command, '--json']);
  const local = await contactByEmail(w, email);
  assert.equal(local.salesforce_id, id, 'the local contact was linked');
  return { summary, local, id };
}

const firstLinkCases = [
  { policy: 'local', localFirst: false, winner: 'local' },
  { policy: 'local', localFirst: true, winner: 'local' },
  { policy: 'salesforce', localFirst: false, winner: 'salesforce' },
  { policy: 'salesforce', localFirst: true, winner: 'salesforce' },
  { policy: 'newest', localFirst: false, winner: 'local' },
  { policy: 'newest', localFirst: true, winner: 'salesforce' },
];

for (const { policy, localFirst, winner } of firstLinkCases) {
  const order = localFirst ? 'local first' : 'record first';
  test(`first link ${policy} ${order}`, async () => {
    await withOrg(async (org) => {
      await org.w.ok(['config', 'set', 'conflict_policy', policy]);
      const { summary, local, id } = await raceFirstLink(org,
        { localFirst, command: ['sync'] });
      const expected = winner === 'local' ? 'LocalTitle3' : 'SFTitle3';
      assert.equal(summary.conflicts, 1, 'the title is one conflict');
      assert.equal(local.title, expected, 'local title after the round');
      const rec = await sfGet(org.sim, org.token, 'Contact', id,
        'Title,MailingCity,Department');
      assert.equal(rec.Title, expected, 'salesforce title after the round');
      assert.equal(rec.MailingCity, 'Local City',
        'a value only the local contact had was pushed');
      assert.equal(local.pending_changes, 0, 'nothing left to push');
    });
  });
}

test('first link fills empty local fields', async () => {
  await withOrg(async (org) => {
    await org.w.ok(['config', 'set', 'conflict_policy', 'local']);
    const email = 'fill@race.example';
    const id = await sfCreate(org.sim, org.token, 'Contact', {
      LastName: 'Fill', Email: email, Title: 'Remote Title',
      MobilePhone: '+1 415 555 0199',
    });
    await org.w.ok(['contacts', 'add', '--last-name', 'Fill', '--email',
      email]);
    const summary = await org.w.json(['sync', '--json']);
    assert.equal(summary.conflicts, 0);
    const local = await contactByEmail(org.w, email);
    assert.equal(local.salesforce_id, id);
    assert.equal(local.title, 'Remote Title');
    assert.equal(local.mobile_phone_e164, '+14155550199');
  });
});

test('first link manual pull keeps local', async () => {
  await withOrg(async (org) => {
    await org.w.ok(['config', 'set', 'conflict_policy', 'local']);
    const { local, id } = await raceFirstLink(org,
      { localFirst: false, command: ['pull', 'contacts'] });
    assert.equal(local.title, 'LocalTitle3', 'the pull kept the local title');

    await org.w.ok(['sync', '--json']);
    const rec = await sfGet(org.sim, org.token, 'Contact', id, 'Title');
    assert.equal(rec.Title, 'LocalTitle3', 'the next round pushed it');
    const again = await org.w.json(['sync', '--json']);
    assert.equal(again.conflicts, 0, 'the conflict was recorded once');
  });
});

test('first link keeps do-not-call true', async () => {
  await withOrg(async (org) => {
    await org.w.ok(['config', 'set', 'conflict_policy', 'salesforce']);
    const remoteTrue = await sfCreate(org.sim, org.token, 'Contact', {
      LastName: 'Dnca', Email: 'dnca@race.example', DoNotCall: true,
    });
    const localTrue = await sfCreate(org.sim, org.token, 'Contact', {
      LastName: 'Dncb', Email: 'dncb@race.example', DoNotCall: false,
    });
    await org.w.ok(['contacts', 'add', '--last-name', 'Dnca', '--email',
      'dnca@race.example']);
    await org.w.ok(['contacts', 'add', '--last-name', 'Dncb', '--email',
      'dncb@race.example', '--do-not-call', 'true']);
    await org.w.ok(['sync', '--json']);
    assert.equal((await contactByEmail(org.w, 'dnca@race.example'))
      .do_not_call, true, 'salesforce true reached the local contact');
    assert.equal((await contactByEmail(org.w, 'dncb@race.example'))
      .do_not_call, true, 'local true stayed under salesforce policy');
    assert.equal((await sfGet(org.sim, org.token, 'Contact', remoteTrue,
      'DoNotCall')).DoNotCall, true);
    assert.equal((await sfGet(org.sim, org.token, 'Contact', localTrue,
      'DoNotCall')).DoNotCall, true, 'local true was pushed');
  });
});

// API calls counted by sfsim so far, the rep's and sfsync's.
async function apiUsed(sim) {
  const res = await fetch(`${sim.url}/sim/faults`);
  assert.equal(res.status, 200);
  return (await res.json())['api-used'];
}

// With a latency of LATENCY_MS a call, a round with one pending update
// makes four calls, each admitted by sfsim one latency after the last: the
// Lead query, the Contact query, the re-read of the record and the update.
// The rep's PATCH is sent half a latency after sfsim admitted the Lead
// query, so it is admitted half a latency after the Contact query and half
// a latency before the re-read.
const LATENCY_MS = 2000;

async function raceUpdate({ sim, w, token }) {
  const c = (await w.contacts()).find((x) => x.salesforce_object ===
    'Contact');
  await w.ok(['contacts', 'update', String(c.id), '--title', 'Local Title']);
  await setFaults(sim.url, { latency: LATENCY_MS });
  const before = await apiUsed(sim);
  const round = w.spawn(['sync', '--json']);
  while (await apiUsed(sim) === before) await sleep(20);
  await sleep(LATENCY_MS / 2);
  const patch = await api(sim.url, token, 'PATCH',
    `${V}/sobjects/Contact/${c.salesforce_id}`, { Title: 'Rep Title' });
  assert.equal(patch.status, 204, patch.text);
  const res = await round.done;
  assert.equal(res.code, 0, res.stderr);
  await setFaults(sim.url, { latency: 0 });
  return { c, summary: JSON.parse(res.stdout) };
}

test('push defers record edited after pull', async () => {
  await withOrg(async (org) => {
    await org.w.ok(['config', 'set', 'conflict_policy', 'newest']);
    const { c, summary } = await raceUpdate(org);
    assert.equal(summary.conflicts, 0, 'the rep edit came after the pull');
    assert.equal(summary.push.updated, 0, 'the update was not sent');
    assert.equal(summary.api_calls, 3, 'two pull queries and the re-read');
    const rec = await sfGet(org.sim, org.token, 'Contact', c.salesforce_id,
      'Title');
    assert.equal(rec.Title, 'Rep Title', 'the rep edit was kept');
    const pending = await org.w.json(['contacts', 'show', String(c.id),
      '--json']);
    assert.equal(pending.pending_changes, 1, 'the local edit stays pending');

    const next = await org.w.json(['sync', '--json']);
    assert.equal(next.conflicts, 1, 'the next pull merged both edits');
    const after = await org.w.json(['contacts', 'show', String(c.id),
      '--json']);
    assert.equal(after.title, 'Rep Title', 'the later rep edit won');
    assert.equal(after.pending_changes, 0);
  });
});

test('deferred local winner pushed next round', async () => {
  await withOrg(async (org) => {
    await org.w.ok(['config', 'set', 'conflict_policy', 'local']);
    const { c, summary } = await raceUpdate(org);
    assert.equal(summary.conflicts, 0, 'the rep edit came after the pull');
    assert.equal(summary.push.updated, 0, 'the update was not sent');
    const next = await org.w.json(['sync', '--json']);
    assert.equal(next.conflicts, 1);
    const rec = await sfGet(org.sim, org.token, 'Contact', c.salesforce_id,
      'Title');
    assert.equal(rec.Title, 'Local Title', 'the local winner was pushed');
  });
});

test('push re-read costs one query', async () => {
  await withOrg(async (org) => {
    const c = (await org.w.contacts()).find((x) => x.salesforce_object ===
      'Contact');
    await org.w.ok(['contacts', 'update', String(c.id), '--title', 'T2']);
    const update = await org.w.json(['sync', '--json']);
    assert.equal(update.push.updated, 1);
    assert.equal(update.api_calls, 4, 'two pull queries, re-read, update');

    await org.w.ok(['contacts', 'add', '--last-name', 'Onlycreate',
      '--email', 'onlycreate@race.example']);
    const create = await org.w.json(['sync', '--json']);
    assert.equal(create.push.created, 1);
    assert.equal(create.api_calls, 3, 'no re-read for a create');
  });
});
