// SPDX-License-Identifier: MIT
// How the pull matches a record to an unlinked local contact, against a
// real sfsim. The email matches in any letter case. A phone matches only
// when the emails do not differ and, without an email on both sides, the
// last names are equal and the first names do not differ. An email that
// differs only in letter case is no conflict.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, Workdir, connectArgs, api, passwordGrantFor, V, CLIENT_SECRET,
} from './lib.mjs';

const REP = 'rep@sfsim.local';
const REP_PASSWORD = 'Rep-pass-1';
const PHONE = '+1 312 555 3839';

// An empty org with a rep, a connected work directory under policy and
// the rep's token.
async function withOrg(policy, fn) {
  const sim = await startSim(['--user', `${REP}:${REP_PASSWORD}`]);
  const w = new Workdir('sfsync-match-');
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['config', 'set', 'conflict_policy', policy]);
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

async function addContact(w, fields) {
  const args = ['contacts', 'add', '--json'];
  for (const [k, v] of Object.entries(fields)) args.push(`--${k}`, v);
  return (await w.json(args)).id;
}

async function sync(w) {
  const res = await w.run(['sync', '--json']);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  return JSON.parse(res.stdout);
}

for (const policy of ['newest', 'local', 'salesforce']) {
  test(`shared phone, other emails, ${policy}`, async () => {
    await withOrg(policy, async ({ sim, w, token }) => {
      const alice = await addContact(w, { 'last-name': 'Alice',
        email: 'alice1@x.com', phone: PHONE, title: 'LocA' });
      const bobId = await sfCreate(sim, token, 'Contact',
        { LastName: 'Bob', Email: 'bob1@x.com', Phone: PHONE });
      await sync(w);

      const contacts = await w.contacts();
      assert.equal(contacts.length, 2);
      const local = contacts.find((c) => c.id === alice);
      assert.equal(local.last_name, 'Alice');
      assert.equal(local.email, 'alice1@x.com');
      assert.notEqual(local.salesforce_id, bobId);
      const bob = contacts.find((c) => c.salesforce_id === bobId);
      assert.ok(bob, 'a local contact linked to the record of Bob');
      assert.notEqual(bob.id, alice);
      assert.equal(bob.last_name, 'Bob');

      const rec = await sfGet(sim, token, 'Contact', bobId,
        'LastName,Email,Title');
      assert.equal(rec.LastName, 'Bob');
      assert.equal(rec.Email, 'bob1@x.com');
      assert.equal(rec.Title, null);
    });
  });
}

const ONE_EMAIL = [
  { name: 'local side', local: {}, remote: { Email: 'dana1@x.com' } },
  { name: 'Salesforce side', local: { email: 'dana1@x.com' }, remote: {} },
];

for (const c of ONE_EMAIL) {
  test(`phone links with email on ${c.name} only`, async () => {
    await withOrg('newest', async ({ sim, w, token }) => {
      const id = await addContact(w, { 'last-name': 'Dana', phone: PHONE,
        ...c.local });
      const recId = await sfCreate(sim, token, 'Contact',
        { LastName: 'Dana', Phone: PHONE, ...c.remote });
      await sync(w);

      const contacts = await w.contacts();
      assert.equal(contacts.length, 1);
      assert.equal(contacts[0].id, id);
      assert.equal(contacts[0].salesforce_id, recId);
      assert.equal(contacts[0].email, 'dana1@x.com');
    });
  });
}

test('email case alone is no conflict', async () => {
  await withOrg('newest', async ({ sim, w, token }) => {
    const id = await addContact(w, { 'last-name': 'Casey',
      email: 'CASEY1@X.COM', phone: PHONE });
    const recId = await sfCreate(sim, token, 'Contact',
      { LastName: 'Casey', Email: 'casey1@x.com', Phone: PHONE });
    const first = await sync(w);
    assert.equal(first.conflicts, 0);
    const contacts = await w.contacts();
    assert.equal(contacts.length, 1);
    assert.equal(contacts[0].id, id);
    assert.equal(contacts[0].salesforce_id, recId);
    assert.equal(contacts[0].email.toLowerCase(), 'casey1@x.com');

    // Both sides change the address to one in two letter cases.
    await w.ok(['contacts', 'update', String(id), '--email', 'CASEY2@X.COM']);
    const res = await api(sim.url, token, 'PATCH',
      `${V}/sobjects/Contact/${recId}`, { Email: 'casey2@x.com' });
    assert.equal(res.status, 204, res.text);
    const second = await sync(w);
    assert.equal(second.conflicts, 0);
    const after = await w.json(['contacts', 'show', String(id), '--json']);
    assert.equal(after.email.toLowerCase(), 'casey2@x.com');
  });
});

test('first link keeps salesforce letter case', async () => {
  await withOrg('newest', async ({ sim, w, token }) => {
    const recId = await sfCreate(sim, token, 'Contact', { FirstName: 'Uma',
      LastName: 'Vance', Email: 'Uma.Vance@Example.com', Phone: PHONE });
    const id = await addContact(w, { 'first-name': 'uma', 'last-name': 'VANCE',
      email: 'uma.vance@example.com', phone: PHONE });
    const first = await sync(w);
    assert.equal(first.conflicts, 0);
    const rec = await sfGet(sim, token, 'Contact', recId,
      'FirstName,LastName,Email');
    assert.equal(rec.FirstName, 'Uma');
    assert.equal(rec.LastName, 'Vance');
    assert.equal(rec.Email, 'Uma.Vance@Example.com');
    const local = await w.json(['contacts', 'show', String(id), '--json']);
    assert.equal(local.salesforce_id, recId);
    assert.equal(local.first_name, 'Uma');
    assert.equal(local.last_name, 'Vance');
    assert.equal(local.email, 'Uma.Vance@Example.com');
  });
});

test('other title is still a conflict', async () => {
  await withOrg('newest', async ({ sim, w, token }) => {
    const id = await addContact(w, { 'last-name': 'Erin',
      email: 'erin1@x.com', phone: PHONE, title: 'Local' });
    const recId = await sfCreate(sim, token, 'Contact',
      { LastName: 'Erin', Email: 'erin1@x.com', Phone: PHONE,
        Title: 'Remote' });
    const summary = await sync(w);
    assert.equal(summary.conflicts, 1);
    const contacts = await w.contacts();
    assert.equal(contacts.length, 1);
    assert.equal(contacts[0].id, id);
    assert.equal(contacts[0].salesforce_id, recId);
  });
});

test('shared phone, other names, no email', async () => {
  await withOrg('newest', async ({ sim, w, token }) => {
    const alice = await addContact(w, { 'first-name': 'Alice',
      'last-name': 'Smith', phone: '(415) 555-0177' });
    const bobId = await sfCreate(sim, token, 'Contact',
      { FirstName: 'Bob', LastName: 'Jones', Phone: '+1 415 555 0177' });
    const summary = await sync(w);
    assert.equal(summary.conflicts, 0);

    const contacts = await w.contacts();
    assert.equal(contacts.length, 2);
    const local = contacts.find((c) => c.id === alice);
    assert.equal(local.first_name, 'Alice');
    assert.equal(local.last_name, 'Smith');
    assert.notEqual(local.salesforce_id, bobId);
    assert.ok(local.salesforce_id, 'Alice is created in Salesforce');
    const bob = contacts.find((c) => c.salesforce_id === bobId);
    assert.ok(bob, 'a local contact linked to the record of Bob');
    assert.equal(bob.first_name, 'Bob');
    assert.equal(bob.last_name, 'Jones');

    const rec = await sfGet(sim, token, 'Contact', bobId,
      'FirstName,LastName');
    assert.equal(rec.FirstName, 'Bob');
    assert.equal(rec.LastName, 'Jones');
  });
});

test('shared phone, other first names', async () => {
  await withOrg('newest', async ({ sim, w, token }) => {
    const alice = await addContact(w, { 'first-name': 'Alice',
      'last-name': 'Smith', phone: PHONE });
    const bobId = await sfCreate(sim, token, 'Contact',
      { FirstName: 'Bob', LastName: 'Smith', Phone: PHONE });
    await sync(w);

    const contacts = await w.contacts();
    assert.equal(contacts.length, 2);
    assert.notEqual(contacts.find((c) => c.id === alice).salesforce_id,
      bobId);
    const rec = await sfGet(sim, token, 'Contact', bobId, 'FirstName');
    assert.equal(rec.FirstName, 'Bob');
  });
});

const SAME_PERSON = [
  { name: 'names in other case', local: { 'first-name': 'alice',
    'last-name': 'SMITH' } },
  { name: 'no local first name', local: { 'last-name': 'Smith' } },
];

for (const c of SAME_PERSON) {
  test(`phone links with ${c.name}`, async () => {
    await withOrg('newest', async ({ sim, w, token }) => {
      const id = await addContact(w, { phone: PHONE, ...c.local });
      const recId = await sfCreate(sim, token, 'Contact',
        { FirstName: 'Alice', LastName: 'Smith', Phone: PHONE });
      await sync(w);

      const contacts = await w.contacts();
      assert.equal(contacts.length, 1);
      assert.equal(contacts[0].id, id);
      assert.equal(contacts[0].salesforce_id, recId);
    });
  });
}

// Phones whose E.164 forms are equal are one value in the merge: each side
// keeps its text, nothing is a conflict and nothing is pushed.
test('phone format alone no conflict', async () => {
  await withOrg('newest', async ({ sim, w, token }) => {
    const id = await addContact(w, { 'first-name': 'Alice',
      'last-name': 'Smith', phone: '(415) 555-0177',
      'mobile-phone': '312-555-0199' });
    const recId = await sfCreate(sim, token, 'Contact',
      { FirstName: 'Alice', LastName: 'Smith', Phone: '+1 415 555 0177',
        MobilePhone: '(312) 555-0199' });
    const first = await sync(w);
    assert.equal(first.conflicts, 0);
    const linked = await w.json(['contacts', 'show', String(id), '--json']);
    assert.equal(linked.salesforce_id, recId);
    assert.equal(linked.phone, '(415) 555-0177');
    assert.equal(linked.mobile_phone, '312-555-0199');
    assert.equal(linked.pending_changes, 0);
    let rec = await sfGet(sim, token, 'Contact', recId,
      'Phone,MobilePhone');
    assert.equal(rec.Phone, '+1 415 555 0177');
    assert.equal(rec.MobilePhone, '(312) 555-0199');

    // A local reformat sends nothing, and a Salesforce one changes nothing
    // locally.
    await w.ok(['contacts', 'update', String(id), '--phone', '415.555.0177']);
    const res = await api(sim.url, token, 'PATCH',
      `${V}/sobjects/Contact/${recId}`, { MobilePhone: '+1 312 555 0199' });
    assert.equal(res.status, 204, res.text);
    const second = await sync(w);
    assert.equal(second.conflicts, 0);
    const after = await w.json(['contacts', 'show', String(id), '--json']);
    assert.equal(after.phone, '415.555.0177');
    assert.equal(after.mobile_phone, '312-555-0199');
    assert.equal(after.pending_changes, 0);
    rec = await sfGet(sim, token, 'Contact', recId, 'Phone,MobilePhone');
    assert.equal(rec.Phone, '+1 415 555 0177');
    assert.equal(rec.MobilePhone, '+1 312 555 0199');
    assert.deepEqual(await w.json(['conflicts', '--json']), []);
  });
});
