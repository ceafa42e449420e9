// SPDX-License-Identifier: MIT
// Two workspaces of one database, connected to two sfsim orgs, each see
// only their own contacts, settings and connection. The two orgs issue the
// same record ids, so a link that ignored its workspace would show.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSim, Workdir, connectArgs } from './lib.mjs';

let simA;
let simB;
let w;
const A = ['--workspace', 'a'];
const B = ['--workspace', 'b'];

before(async () => {
  simA = await startSim(['--generate', 'contacts=30,leads=4,accounts=3', '--seed', '1']);
  simB = await startSim(['--generate', 'contacts=45,accounts=5', '--seed', '2']);
  w = new Workdir();
});

after(async () => {
  w.remove();
  await simA.stop();
  await simB.stop();
});

// Every contact of a workspace.
async function contactsOf(ws) {
  const page = await w.json([...ws, 'contacts', 'list', '--json', '--limit', '1000']);
  assert.equal(page.contacts.length, page.total);
  return page.contacts;
}

test('init and connect each workspace', async () => {
  await w.ok([...A, 'init']);
  await w.ok([...B, 'init']);
  await w.ok([...A, ...connectArgs(w, simA.url)]);
  await w.ok([...B, ...connectArgs(w, simB.url)]);
  const stA = await w.json([...A, 'status', '--json']);
  const stB = await w.json([...B, 'status', '--json']);
  assert.equal(stA.workspace, 'a');
  assert.equal(stB.workspace, 'b');
  assert.equal(stA.connection.instance_url, simA.url);
  assert.equal(stB.connection.instance_url, simB.url);
  assert.equal(stA.connection.healthy, true);
  assert.equal(stB.connection.healthy, true);
});

test('each workspace pulls its own org', async () => {
  const a = await w.json([...A, 'pull', 'contacts', '--json']);
  assert.equal(a.created, 30);
  const b = await w.json([...B, 'pull', 'contacts', '--json']);
  assert.equal(b.created, 45);
  const leads = await w.json([...A, 'pull', 'leads', '--json']);
  assert.equal(leads.created, 4);

  const inA = await contactsOf(A);
  const inB = await contactsOf(B);
  assert.equal(inA.length, 34);
  assert.equal(inB.length, 45);
  for (const c of inA) {
    assert.ok(c.salesforce_url.startsWith(`${simA.url}/`), c.salesforce_url);
  }
  for (const c of inB) {
    assert.ok(c.salesforce_url.startsWith(`${simB.url}/`), c.salesforce_url);
    assert.equal(c.salesforce_object, 'Contact');
  }
  const idsA = new Set(inA.map((c) => c.id));
  assert.ok(!inB.some((c) => idsA.has(c.id)), 'a local contact is in both workspaces');
  // Both orgs number their records alike, and each workspace links its own.
  const sfA = new Set(inA.map((c) => c.salesforce_id));
  assert.ok(inB.some((c) => sfA.has(c.salesforce_id)),
    'the orgs issued no common ids, so the test proves less');
});

test('repeated pulls stay in their workspace', async () => {
  const a = await w.json([...A, 'pull', 'contacts', '--json']);
  assert.equal(a.unchanged, 30);
  assert.equal(a.created + a.updated, 0);
  const b = await w.json([...B, 'pull', 'contacts', '--json']);
  assert.equal(b.unchanged, 45);
  assert.equal(b.created + b.updated, 0);
  assert.equal((await contactsOf(A)).length, 34);
  assert.equal((await contactsOf(B)).length, 45);
});

test('show and search are per workspace', async () => {
  const inA = await contactsOf(A);
  const inB = await contactsOf(B);
  const other = inB[0];
  const res = await w.fails([...A, 'contacts', 'show', String(other.id)]);
  assert.match(res.stderr, new RegExp(`no contact ${other.id} in workspace 'a'`));
  const shownContact = await w.json([...B, 'contacts', 'show', String(other.id), '--json']);
  assert.deepEqual(shownContact, other);
  // A search for a B-only last name finds nothing in A.
  const onlyB = inB.find((c) => !inA.some((x) => x.last_name === c.last_name));
  assert.ok(onlyB, 'every last name of B is also in A');
  const found = await w.json([...B, 'contacts', 'list', '--json', '--search', onlyB.last_name]);
  assert.ok(found.total >= 1);
  const none = await w.json([...A, 'contacts', 'list', '--json', '--search', onlyB.last_name]);
  assert.equal(none.total, 0);
});

test('settings are per workspace', async () => {
  await w.ok([...A, 'config', 'set', 'objects', 'leads']);
  await w.ok([...B, 'config', 'set', 'direction', 'from-salesforce']);
  const a = await w.json([...A, 'config', 'list', '--json']);
  const b = await w.json([...B, 'config', 'list', '--json']);
  assert.equal(a.objects, 'leads');
  assert.equal(a.direction, 'both');
  assert.equal(b.objects, 'contacts,leads');
  assert.equal(b.direction, 'from-salesforce');
  await w.fails([...A, 'pull', 'contacts']);
  const pulled = await w.json([...B, 'pull', 'contacts', '--json']);
  assert.equal(pulled.unchanged, 45);
});

test('disconnect leaves the other workspace', async () => {
  await w.ok([...A, 'disconnect']);
  const a = await w.json([...A, 'status', '--json']);
  const b = await w.json([...B, 'status', '--json']);
  assert.equal(a.connection.connected, false);
  assert.equal(b.connection.connected, true);
  assert.equal(b.connection.healthy, true);
  const pulled = await w.json([...B, 'pull', 'contacts', '--json']);
  assert.equal(pulled.unchanged, 45);
  assert.equal((await contactsOf(A)).length, 34);
});

test('unknown workspace says run init', async () => {
  const res = await w.fails(['--workspace', 'c', 'contacts', 'list']);
  assert.match(res.stderr,
    /no workspace 'c' in '.*': run 'sfsync --workspace c init' to create it/);
});
