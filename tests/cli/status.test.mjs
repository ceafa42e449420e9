// SPDX-License-Identifier: MIT
// sfsync status: the connection's identity and times, a revoked refresh
// token that needs reconnecting, and reconnecting or disconnecting without
// losing contacts or links.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, Workdir, CLIENT_ID, setFaults, sleep, byId,
} from './lib.mjs';

const USER = 'rep@example.com';
const PASSWORD = 'rep-pass';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let sim;
let w;
let connect; // the connect arguments of the password grant

before(async () => {
  sim = await startSim(['--generate', 'contacts=40,leads=10,accounts=4',
    '--user', `${USER}:${PASSWORD}`, '--token-lifetime', '1']);
  w = new Workdir();
  connect = ['connect', '--login-url', sim.url, '--client-id', CLIENT_ID,
    '--client-secret-file', w.file('secret', 'sfsim-client-secret\n'),
    '--grant', 'password', '--username', USER,
    '--password-file', w.file('password', `${PASSWORD}\n`)];
  await w.ok(['init']);
});

after(async () => {
  w.remove();
  await sim.stop();
});

test('status before connect', async () => {
  const res = await w.ok(['status']);
  assert.match(res.stdout, /^connection: +not connected; run 'sfsync connect --help'$/m);
  const st = await w.json(['status', '--json']);
  assert.equal(st.workspace, 'default');
  assert.equal(st.enabled, false);
  assert.equal(st.connection.connected, false);
  assert.equal(st.connection.healthy, false);
  assert.equal(st.connection.org_id, null);
});

test('connect prints the identity', async () => {
  const res = await w.ok(connect);
  assert.match(res.stdout,
    new RegExp(`^connected workspace 'default' to org 00D\\w{15} as ${USER}$`, 'm'));
  assert.match(res.stdout, new RegExp(`^instance: ${sim.url}$`, 'm'));
  const leads = await w.json(['pull', 'leads', '--json']);
  assert.equal(leads.created, 10);
  const contacts = await w.json(['pull', 'contacts', '--json']);
  assert.equal(contacts.created, 40);
});

test('status shows org user and times', async () => {
  const res = await w.ok(['status']);
  const lines = Object.fromEntries(res.stdout.trim().split('\n')
    .map((l) => /^([a-z_ ]+):?\s+(.*)$/.exec(l)).filter(Boolean)
    .map((m) => [m[1].trim(), m[2]]));
  assert.equal(lines.connection, 'healthy');
  assert.match(lines.org, /^00D\w{15}$/);
  assert.match(lines.user, new RegExp(`^${USER} \\(005\\w{15}\\)$`));
  assert.equal(lines.instance, sim.url);
  assert.equal(lines.grant, 'password');
  assert.match(lines['last refreshed'], ISO);
  assert.match(lines['last verified'], ISO);
  assert.equal(lines.enabled, 'true');
  assert.equal(lines.objects, 'contacts,leads');
  assert.equal(lines.direction, 'both');

  const st = (await w.json(['status', '--json'])).connection;
  assert.equal(st.connected, true);
  assert.equal(st.healthy, true);
  assert.equal(st.needs_reconnect, false);
  assert.equal(st.problem, null);
  assert.equal(st.login_url, sim.url);
  assert.equal(st.instance_url, sim.url);
  assert.equal(st.username, USER);
  assert.match(st.user_id, /^005\w{15}$/);
  assert.match(st.org_id, /^00D\w{15}$/);
  for (const k of ['connected_at', 'last_refreshed_at', 'last_verified_at']) {
    assert.match(st[k], ISO, k);
  }
});

test('status verifies and shows the new times', async () => {
  const before = (await w.json(['status', '--json', '--offline'])).connection;
  // The access token lives one second, so verifying needs a refresh.
  await sleep(1200);
  const st = (await w.json(['status', '--json'])).connection;
  assert.equal(st.healthy, true);
  assert.ok(st.last_verified_at > before.last_verified_at,
    `last verified ${st.last_verified_at} is not after ${before.last_verified_at}`);
  assert.ok(st.last_refreshed_at > before.last_refreshed_at,
    `last refreshed ${st.last_refreshed_at} is not after ${before.last_refreshed_at}`);
  const offline = (await w.json(['status', '--json', '--offline'])).connection;
  assert.equal(offline.last_verified_at, st.last_verified_at);
});

test('revoked refresh needs reconnecting', async () => {
  const contactsBefore = await w.contacts();
  await setFaults(sim.url, { 'refresh-revoked': 1 });
  await sleep(1200);
  const res = await w.exits(3, ['status']);
  assert.match(res.stdout, /^connection: +NEEDS RECONNECTING$/m);
  assert.match(res.stdout, /^problem: .*invalid_grant/m);
  assert.match(res.stdout, /^fix: +run 'sfsync connect' again with the same options/m);
  const st = JSON.parse((await w.exits(3, ['status', '--json'])).stdout).connection;
  assert.equal(st.healthy, false);
  assert.equal(st.needs_reconnect, true);
  assert.match(st.problem, /invalid_grant/);

  // Pulls fail fast until the admin reconnects, and change nothing.
  const pull = await w.fails(['pull', 'contacts']);
  assert.match(pull.stderr, /^sfsync: pull of contacts failed: the Salesforce connection needs reconnecting: run 'sfsync connect' again \(last error: .*invalid_grant/m);
  assert.deepEqual(await w.contacts(), contactsBefore);
});

test('reconnect keeps contacts and links', async () => {
  const before = byId(await w.contacts());
  assert.equal(before.size, 50);
  await setFaults(sim.url, { 'refresh-revoked': 0 });
  await w.ok(connect);
  const st = (await w.json(['status', '--json'])).connection;
  assert.equal(st.healthy, true);
  assert.equal(st.needs_reconnect, false);
  assert.equal(st.problem, null);
  const after = byId(await w.contacts());
  assert.deepEqual(after, before);
  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.unchanged, 40);
  assert.equal(sum.created + sum.updated, 0);
  const leads = await w.json(['pull', 'leads', '--json']);
  assert.equal(leads.unchanged, 10);
  assert.equal(leads.created + leads.updated, 0);
});

test('disconnect keeps contacts and links', async () => {
  const before = byId(await w.contacts());
  const res = await w.ok(['disconnect']);
  assert.equal(res.stdout, "workspace 'default' is disconnected from Salesforce\n");
  const st = await w.json(['status', '--json']);
  assert.equal(st.connection.connected, false);
  const text = await w.ok(['status']);
  assert.match(text.stdout, /not connected; run 'sfsync connect --help'/);
  const pull = await w.fails(['pull', 'contacts']);
  assert.match(pull.stderr, /not connected to Salesforce: run 'sfsync connect' first/);
  const json = JSON.parse((await w.fails(['pull', 'contacts', '--json'])).stdout);
  assert.match(json.error, /^not connected to Salesforce: run 'sfsync connect' first$/);
  assert.equal(json.run_id, 0);
  // Links stay, and so do the record URLs.
  assert.deepEqual(byId(await w.contacts()), before);

  await w.ok(connect);
  assert.deepEqual(byId(await w.contacts()), before);
  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.unchanged, 40);
  assert.equal(sum.created + sum.updated, 0);
});

test('long login URL keeps the fix visible', async () => {
  // Dot segments make the URL as long as a real My Domain URL, and curl
  // removes them before sending.
  const long = `${sim.url}${'/.'.repeat(20)}`;
  const fresh = new Workdir();
  try {
    await fresh.ok(['init']);
    await fresh.ok(['connect', '--login-url', long, '--client-id', CLIENT_ID,
      '--client-secret-file', fresh.file('secret', 'sfsim-client-secret\n'),
      '--grant', 'password', '--username', USER,
      '--password-file', fresh.file('password', `${PASSWORD}\n`)]);
    await setFaults(sim.url, { 'refresh-revoked': 1 });
    await sleep(1200);
    const first = await fresh.fails(['pull', 'contacts']);
    assert.match(first.stderr, /invalid_grant.*; run 'sfsync connect' again$/m);
    const second = await fresh.fails(['pull', 'contacts']);
    assert.match(second.stderr,
      /^sfsync: pull of contacts failed: the Salesforce connection needs reconnecting: run 'sfsync connect' again \(last error: POST /m);
  } finally {
    await setFaults(sim.url, { 'refresh-revoked': 0 });
    fresh.remove();
  }
});

test('unreachable server is not a reconnect', async () => {
  const other = await startSim(['--generate', 'contacts=3']);
  const fresh = new Workdir();
  try {
    await fresh.ok(['init']);
    await fresh.ok(['connect', '--login-url', other.url, '--client-id', CLIENT_ID,
      '--client-secret-file', fresh.file('secret', 'sfsim-client-secret\n')]);
    await other.stop();
    const res = await fresh.exits(3, ['status']);
    assert.match(res.stdout, /^connection: +NOT VERIFIED$/m);
    assert.match(res.stdout, /^problem: .*Couldn't connect to server/m);
    assert.match(res.stdout, /^fix: +Salesforce did not reject the connection, so it is kept/m);
    assert.doesNotMatch(res.stdout, /NEEDS RECONNECTING/);
    const st = JSON.parse((await fresh.exits(3, ['status', '--json'])).stdout).connection;
    assert.equal(st.healthy, false);
    assert.equal(st.needs_reconnect, false);
    assert.match(st.problem, /Couldn't connect to server/);
    // Offline, status shows the stored outcome of the last check.
    const offline = JSON.parse((await fresh.exits(3,
      ['status', '--json', '--offline'])).stdout).connection;
    assert.equal(offline.needs_reconnect, false);
    assert.equal(offline.healthy, false);
    assert.match(offline.problem, /Couldn't connect to server/);
    assert.match(offline.problem_at, ISO);
    const text = await fresh.exits(3, ['status', '--offline']);
    assert.match(text.stdout,
      /^problem: .*Couldn't connect to server.* \(checked at \d{4}-/m);
    const pull = await fresh.fails(['pull', 'contacts', '--json']);
    const sum = JSON.parse(pull.stdout);
    assert.match(sum.error, /Couldn't connect to server.*run 'sfsync pull contacts' again later/);
  } finally {
    fresh.remove();
    await other.stop();
  }
});

test('failed check is kept until a good one', async () => {
  await w.ok(connect);
  // The token expires after one API call (the pull's), and the token
  // endpoint returns a maintenance page in place of a rejection.
  await setFaults(sim.url, { 'expire-after': 1, html: 1 });
  try {
    await w.run(['pull', 'contacts']);
    const res = await w.exits(3, ['status']);
    assert.match(res.stdout, /^connection: +NOT VERIFIED$/m);
  } finally {
    await setFaults(sim.url, { 'expire-after': 0, html: 0 });
  }
  const stored = JSON.parse((await w.exits(3,
    ['status', '--json', '--offline'])).stdout).connection;
  assert.equal(stored.healthy, false);
  assert.equal(stored.needs_reconnect, false);
  assert.equal(typeof stored.problem, 'string');
  assert.match(stored.problem_at, ISO);

  await w.ok(['status']);
  const good = (await w.json(['status', '--json', '--offline'])).connection;
  assert.equal(good.healthy, true);
  assert.equal(good.problem, null);
  assert.equal(good.problem_at, null);
});
