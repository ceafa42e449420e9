// SPDX-License-Identifier: MIT
// Two workspaces of one database, connected to two sfsim orgs, each see
// only their own contacts, settings and connection. The two orgs issue the
// same record ids, so a link that ignored its workspace would show.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSim, Workdir, connectArgs, setFaults, sleep } from './lib.mjs';

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

// The workspaces of the store as 'workspaces list --json' shows them, by
// name.
async function listed() {
  const list = await w.json(['workspaces', 'list', '--json']);
  return new Map(list.map((x) => [x.name, x]));
}

test('workspaces add checks the name and region', async () => {
  const res = await w.ok(['workspaces', 'add', 'c.east-1', '--region', 'gb']);
  assert.match(res.stdout, /^workspace 'c\.east-1' is ready in .* \(region GB\)$/m);
  assert.match(res.stdout, /^next: sfsync --workspace c\.east-1 connect /m);
  const again = await w.fails(['workspaces', 'add', 'c.east-1']);
  assert.match(again.stderr, /workspace 'c\.east-1' already exists in '.*'/);
  for (const bad of ['a b', '_a', 'a/b', 'caf\u00e9', 'x'.repeat(65)]) {
    const r = await w.fails(['workspaces', 'add', bad]);
    assert.match(r.stderr, /invalid workspace name '.*': use 1 to 64 ASCII letters, digits, '\.', '_' and '-', starting with a letter or digit/, bad);
  }
  const init = await w.fails(['--workspace', 'no good', 'init']);
  assert.match(init.stderr, /invalid workspace name 'no good'/);
  const region = await w.fails(['workspaces', 'add', 'd', '--region', 'XX']);
  assert.match(region.stderr, /invalid --region 'XX'/);
  const all = await listed();
  assert.deepEqual([...all.keys()], ['a', 'b', 'c.east-1']);
  assert.equal(all.get('c.east-1').region, 'GB');
});

test('workspace region is default_region', async () => {
  const C = ['--workspace', 'c.east-1'];
  const got = await w.ok([...C, 'config', 'get', 'default_region']);
  assert.equal(got.stdout, 'GB\n');
  const cfg = await w.json([...C, 'config', 'list', '--json']);
  assert.equal(cfg.default_region, 'GB');
  const st = await w.json([...C, 'status', '--json', '--offline']);
  assert.equal(st.default_region, 'GB');
  // A phone without a country code is read as a GB number.
  const added = await w.json([...C, 'contacts', 'add', '--last-name', 'Region',
    '--phone', '020 7946 0958', '--json']);
  assert.equal(added.phone_e164, '+442079460958');
  const set = await w.ok([...C, 'config', 'set', 'default_region', 'de']);
  assert.match(set.stdout, /^default_region=DE$/m);
  assert.equal((await listed()).get('c.east-1').region, 'DE');
  assert.equal((await w.ok([...C, 'config', 'get', 'default_region'])).stdout,
    'DE\n');
  await w.ok([...C, 'config', 'set', 'default_region', 'GB']);
  await w.ok([...C, 'contacts', 'delete', String(added.id)]);
});

test('workspaces list shows each workspace', async () => {
  const all = await listed();
  const a = all.get('a');
  const b = all.get('b');
  assert.equal(a.contacts, 34);
  assert.equal(a.connection.connected, false);
  assert.equal(a.last_run.kind, 'pull');
  assert.equal(b.contacts, 45);
  assert.equal(b.enabled, true);
  assert.equal(b.connection.connected, true);
  assert.equal(b.connection.instance_url, simB.url);
  assert.match(b.connection.org_id, /^00D/);
  assert.equal(b.last_run.kind, 'pull');
  assert.equal(b.last_run.status, 'ok');
  assert.equal(all.get('c.east-1').last_run, null);
  assert.equal(all.get('c.east-1').contacts, 0);

  await w.ok([...B, 'config', 'set', 'enabled', 'false']);
  assert.equal((await listed()).get('b').enabled, false);
  await w.ok([...B, 'config', 'set', 'enabled', 'true']);
  const text = (await w.ok(['workspaces', 'list'])).stdout.split('\n');
  assert.match(text[0], /^NAME +REGION +ENABLED +ORG +CONTACTS +LAST RUN$/);
  assert.match(text[1], /^a +US +yes +not connected +34 +pull ok /);
  assert.match(text[2], new RegExp(`^b +US +yes +${b.connection.org_id} +45 +pull ok `));
  assert.match(text[3], /^c\.east-1 +GB +no +not connected +0 +no runs$/);
});

test('workspaces remove without --yes deletes nothing', async () => {
  const res = await w.fails(['workspaces', 'remove', 'b']);
  assert.match(res.stderr, /not removed: workspace 'b' has 45 contacts and 0 users/);
  assert.match(res.stderr, /run 'sfsync workspaces remove b --yes'/);
  assert.equal((await contactsOf(B)).length, 45);
  const missing = await w.fails(['workspaces', 'remove', 'nope', '--yes']);
  assert.match(missing.stderr, /no workspace 'nope' in '.*': see 'sfsync workspaces list'/);
});

test('workspaces remove waits for a running pull', async () => {
  await setFaults(simB.url, { latency: 1500 });
  const pull = w.spawn([...B, 'pull', 'contacts']);
  try {
    let running = false;
    for (let i = 0; i < 100 && !running; i++) {
      await sleep(50);
      const runs = await w.json([...B, 'runs', '--json']);
      running = runs[0].status === 'running';
    }
    assert.ok(running, 'the pull never started');
    const res = await w.fails(['workspaces', 'remove', 'b', '--yes']);
    assert.match(res.stderr, new RegExp(
      `cannot remove workspace 'b': 'sfsync pull contacts' is running on host '[^']+' as process ${pull.proc.pid} since `));
  } finally {
    await setFaults(simB.url, { latency: 0 });
  }
  const done = await pull.done;
  assert.equal(done.code, 0, done.stderr);
  assert.equal((await contactsOf(B)).length, 45);
});

test('workspaces remove deletes only that workspace', async () => {
  const res = await w.ok(['workspaces', 'remove', 'b', '--yes']);
  assert.match(res.stdout, /^removed workspace 'b': .*contacts 45,.* rows in all$/m);
  assert.match(res.stdout, /links 45,/);
  const gone = await w.fails([...B, 'contacts', 'list']);
  assert.match(gone.stderr, /no workspace 'b' in/);
  assert.deepEqual([...(await listed()).keys()], ['a', 'c.east-1']);
  assert.equal((await contactsOf(A)).length, 34);
  // A workspace created again under the name starts empty.
  await w.ok([...B, 'init']);
  assert.equal((await contactsOf(B)).length, 0);
  const st = await w.json([...B, 'status', '--json']);
  assert.equal(st.connection.connected, false);
  const cfg = await w.json([...B, 'config', 'list', '--json']);
  assert.equal(cfg.enabled, 'false');
  assert.deepEqual(await w.json([...B, 'runs', '--json']), []);
  const b = (await listed()).get('b');
  assert.equal(b.contacts, 0);
  assert.equal(b.last_run, null);
});
