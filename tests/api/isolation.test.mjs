// SPDX-License-Identifier: MIT
// `sfsync serve --all-workspaces`: one server for two workspaces, each
// connected to its own sfsim org with its own users. Every read shows
// only the signed-in user's workspace, every write to the other
// workspace's ids gets 404, and a session or token of one workspace
// never reaches the other. Both orgs issue the same record ids, so a
// lookup that ignored the workspace would show.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  Client, Server, assertError, connectArgs, sleep, startSim, waitFor,
  CLIENT_ID, CLIENT_SECRET,
} from './lib.mjs';

const EAST_ADMIN = { name: 'ada', password: 'east passphrase 1' };
const WEST_ADMIN = { name: 'ada', password: 'west passphrase 2' };
const WEST_AGENT = { name: 'wes', password: 'west passphrase 3' };
const REP = { name: 'rep@sfsim.local', password: 'rep-password-1' };
const EAST = ['--workspace', 'east'];
const WEST = ['--workspace', 'west'];

let simEast;
let simWest;
let server;
let east;
let west;
let westAgent;

// Sign in to workspace with user; returns the client.
async function signIn(workspace, user) {
  const c = new Client(server.url);
  const res = await c.req('POST', '/api/session',
    { workspace, username: user.name, password: user.password });
  assert.equal(res.status, 200, res.text);
  c.cookie = /^(sfsync_session=[^;]+)/.exec(res.headers.get('set-cookie'))[1];
  c.csrf = res.body.csrf_token;
  return c;
}

async function addUser(ws, user, role) {
  const file = server.w.file(`pw-${ws[1]}-${user.name}`, `${user.password}\n`);
  await server.w.ok([...ws, 'users', 'add', user.name, '--role', role,
    '--password-file', file]);
}

// Every contact the client can read, page by page.
async function contactsOf(c) {
  const all = [];
  for (let offset = 0; ; offset += 100) {
    const res = await c.req('GET', `/api/contacts?limit=100&offset=${offset}`);
    assert.equal(res.status, 200, res.text);
    all.push(...res.body.contacts);
    if (all.length >= res.body.total) return all;
  }
}

// Start a pull of contacts through the API and wait until it is ok.
async function pullThrough(c) {
  const res = await c.req('POST', '/api/pulls', { object: 'contacts' });
  assert.equal(res.status, 202, res.text);
  const { value: run } = await waitFor(async () => {
    const r = await c.req('GET', `/api/runs/${res.body.run_id}`);
    return r.body.status === 'running' ? null : r.body;
  }, 30000, 'the pull');
  assert.equal(run.status, 'ok', JSON.stringify(run));
  return run;
}

before(async () => {
  simEast = await startSim(['--generate', 'contacts=12,accounts=2', '--seed', '1']);
  simWest = await startSim(['--user', `${REP.name}:${REP.password}`,
    '--generate', 'contacts=17,accounts=3', '--seed', '2']);
  server = new Server();
  await server.w.ok(['workspaces', 'add', 'east']);
  await server.w.ok(['workspaces', 'add', 'west', '--region', 'GB']);
  await addUser(EAST, EAST_ADMIN, 'admin');
  await addUser(WEST, WEST_ADMIN, 'admin');
  await addUser(WEST, WEST_AGENT, 'agent');
  await server.w.ok([...EAST, ...connectArgs(server.w, simEast.url)]);
  await server.w.ok([...WEST, ...connectArgs(server.w, simWest.url)]);
  for (const ws of [EAST, WEST]) {
    await server.w.ok([...ws, 'config', 'set', 'poll_interval', '1']);
  }
  await server.start(['--all-workspaces']);
  east = await signIn('east', EAST_ADMIN);
  west = await signIn('west', WEST_ADMIN);
  westAgent = await signIn('west', WEST_AGENT);
});

after(async () => {
  await server.stop();
  await simEast.stop();
  await simWest.stop();
});

test('sign-in needs the workspace', async () => {
  const c = new Client(server.url);
  const info = await c.req('GET', '/api/server');
  assert.equal(info.status, 200, info.text);
  assert.equal(info.body.all_workspaces, true);
  assertError(await c.req('POST', '/api/session',
    { username: EAST_ADMIN.name, password: EAST_ADMIN.password }),
  422, 'invalid_value', 'workspace');
  // The same name has another password in each workspace.
  const wrong = await c.req('POST', '/api/session',
    { workspace: 'west', username: EAST_ADMIN.name, password: EAST_ADMIN.password });
  assertError(wrong, 401, 'invalid_credentials');
  assert.equal(wrong.body.error.message, 'wrong workspace, username or password');
  const unknown = await c.req('POST', '/api/session',
    { workspace: 'north', username: EAST_ADMIN.name, password: EAST_ADMIN.password });
  assertError(unknown, 401, 'invalid_credentials');
  assert.equal(unknown.body.error.message, wrong.body.error.message);
  const agentInEast = await c.req('POST', '/api/session',
    { workspace: 'east', username: WEST_AGENT.name, password: WEST_AGENT.password });
  assertError(agentInEast, 401, 'invalid_credentials');

  const who = await east.req('GET', '/api/session');
  assert.equal(who.body.workspace, 'east');
  assert.deepEqual(who.body.user, { name: 'ada', role: 'admin' });
  assert.equal((await west.req('GET', '/api/session')).body.workspace, 'west');
});

test('no background rounds run', async () => {
  // poll_interval is 1 s and both workspaces are enabled and connected.
  await sleep(2500);
  for (const c of [east, west]) {
    const runs = await c.req('GET', '/api/runs?kind=sync');
    assert.equal(runs.status, 200, runs.text);
    assert.deepEqual(runs.body.runs, []);
  }
});

test('pulls fill each workspace from its org', async () => {
  const runEast = await pullThrough(east);
  const runWest = await pullThrough(west);
  assert.equal(runEast.counts.created, 12);
  assert.equal(runWest.counts.created, 17);
  const inEast = await contactsOf(east);
  const inWest = await contactsOf(west);
  assert.equal(inEast.length, 12);
  assert.equal(inWest.length, 17);
  for (const c of inEast) assert.ok(c.salesforce.url.startsWith(`${simEast.url}/`));
  for (const c of inWest) assert.ok(c.salesforce.url.startsWith(`${simWest.url}/`));
  const idsEast = new Set(inEast.map((c) => c.id));
  assert.ok(!inWest.some((c) => idsEast.has(c.id)));
  const sfEast = new Set(inEast.map((c) => c.salesforce.id));
  assert.ok(inWest.some((c) => sfEast.has(c.salesforce.id)),
    'the orgs issued no common ids, so the test proves less');
  assert.match(server.stderr, /pull requested workspace=east object=contacts/);
  assert.match(server.stderr, /pull requested workspace=west object=contacts/);
  assert.match(server.stderr, /pull finished workspace=west object=Contact/);
});

test('reads show only own rows', async () => {
  const inEast = await contactsOf(east);
  const inWest = await contactsOf(west);
  const runsEast = (await east.req('GET', '/api/runs')).body.runs;
  const runsWest = (await west.req('GET', '/api/runs')).body.runs;
  assert.equal(runsEast.length, 1);
  assert.equal(runsWest.length, 1);
  assert.notEqual(runsEast[0].id, runsWest[0].id);

  for (const c of inWest) {
    assertError(await east.req('GET', `/api/contacts/${c.id}`), 404, 'not_found');
    assert.equal((await west.req('GET', `/api/contacts/${c.id}`)).status, 200);
  }
  assertError(await east.req('GET', `/api/runs/${runsWest[0].id}`), 404, 'not_found');
  assertError(await west.req('GET', `/api/runs/${runsEast[0].id}`), 404, 'not_found');

  // A search for a last name of west only finds nothing in east.
  const onlyWest = inWest.find((c) => !inEast.some((x) => x.last_name === c.last_name));
  assert.ok(onlyWest, 'every last name of west is also in east');
  const q = encodeURIComponent(onlyWest.last_name);
  assert.ok((await west.req('GET', `/api/contacts?q=${q}`)).body.total >= 1);
  assert.equal((await east.req('GET', `/api/contacts?q=${q}`)).body.total, 0);

  const intEast = (await east.req('GET', '/api/integration')).body;
  const intWest = (await westAgent.req('GET', '/api/integration')).body;
  assert.equal(intEast.connection.instance_url, simEast.url);
  assert.equal(intWest.connection.instance_url, simWest.url);

  const usersEast = (await east.req('GET', '/api/users')).body.users.map((u) => u.name);
  const usersWest = (await west.req('GET', '/api/users')).body.users.map((u) => u.name);
  assert.deepEqual(usersEast, ['ada']);
  assert.deepEqual(usersWest.sort(), ['ada', 'wes']);

  for (const c of [east, west]) {
    const errs = await c.req('GET', '/api/errors');
    assert.equal(errs.status, 200, errs.text);
    assert.deepEqual(errs.body.errors, []);
  }
});

test('writes to other ids get 404', async () => {
  const target = (await contactsOf(west))[0];
  const patch = await east.req('PATCH', `/api/contacts/${target.id}`,
    { title: 'Changed from east', version: target.version });
  assertError(patch, 404, 'not_found');
  assertError(await east.req('DELETE', `/api/contacts/${target.id}`), 404, 'not_found');
  assertError(await east.req('DELETE', `/api/users/${WEST_AGENT.name}`), 404, 'not_found');
  const still = await west.req('GET', `/api/contacts/${target.id}`);
  assert.equal(still.status, 200, still.text);
  assert.deepEqual(still.body, target);
  assert.equal((await west.req('GET', '/api/users')).body.users.length, 2);

  // A contact added in east is east's alone.
  const added = await east.req('POST', '/api/contacts',
    { last_name: 'Eastonly', phone: '+1 415 555 0101' });
  assert.equal(added.status, 201, added.text);
  assertError(await west.req('GET', `/api/contacts/${added.body.id}`), 404, 'not_found');
  assertError(await west.req('PATCH', `/api/contacts/${added.body.id}`,
    { title: 'x', version: added.body.version }), 404, 'not_found');
  assert.equal((await contactsOf(east)).length, 13);
  assert.equal((await contactsOf(west)).length, 17);
});

test('settings and users stay apart', async () => {
  const res = await east.req('PATCH', '/api/integration/settings',
    { direction: 'from-salesforce', poll_interval: 7 });
  assert.equal(res.status, 200, res.text);
  const w = (await west.req('GET', '/api/integration')).body;
  assert.equal(w.direction, 'both');
  assert.equal(w.settings.poll_interval, '1');
  const cfgEast = await server.w.json([...EAST, 'config', 'list', '--json']);
  assert.equal(cfgEast.direction, 'from-salesforce');

  const added = await east.req('POST', '/api/users',
    { name: 'wes', role: 'agent', password: 'east wes passphrase' });
  assert.equal(added.status, 201, added.text);
  // West's wes keeps its own password and role.
  await signIn('west', WEST_AGENT);
  const c = new Client(server.url);
  assertError(await c.req('POST', '/api/session',
    { workspace: 'west', username: 'wes', password: 'east wes passphrase' }),
  401, 'invalid_credentials');
  assert.match(server.stderr, /settings changed workspace=east count=2/);
  assert.match(server.stderr, /user added workspace=east user=wes/);
  assert.match(server.stderr, /sign-in failed workspace=west user=wes/);
});

test('tokens work in their workspace only', async () => {
  const tokWest = (await server.w.ok([...WEST, 'users', 'token', WEST_AGENT.name]))
    .stdout.trim();
  const tokEast = (await server.w.ok([...EAST, 'users', 'token', EAST_ADMIN.name]))
    .stdout.trim();
  const cw = new Client(server.url);
  cw.bearer = tokWest;
  const ce = new Client(server.url);
  ce.bearer = tokEast;
  assert.equal((await cw.req('GET', '/api/session')).body.workspace, 'west');
  assert.equal((await ce.req('GET', '/api/session')).body.workspace, 'east');
  assert.equal((await contactsOf(cw)).length, 17);
  assert.equal((await contactsOf(ce)).length, 13);
  const eastId = (await contactsOf(ce))[0].id;
  assertError(await cw.req('GET', `/api/contacts/${eastId}`), 404, 'not_found');
  // A workspace added while the server runs is served too.
  await server.w.ok(['workspaces', 'add', 'north']);
  await addUser(['--workspace', 'north'], { name: 'nia', password: 'north passphrase 4' },
    'admin');
  const tokNorth = (await server.w.ok(['--workspace', 'north', 'users', 'token', 'nia']))
    .stdout.trim();
  const cn = new Client(server.url);
  cn.bearer = tokNorth;
  assert.equal((await cn.req('GET', '/api/session')).body.workspace, 'north');
  assert.equal((await contactsOf(cn)).length, 0);
  const nia = await signIn('north', { name: 'nia', password: 'north passphrase 4' });
  assert.equal((await nia.req('GET', '/api/integration')).body.connection.connected, false);
});

test('disconnect and OAuth stay apart', async () => {
  const res = await east.req('POST', '/api/integration/disconnect');
  assert.equal(res.status, 200, res.text);
  assert.equal((await east.req('GET', '/api/integration')).body.connection.connected, false);
  assert.equal((await west.req('GET', '/api/integration')).body.connection.connected, true);
  assertError(await east.req('POST', '/api/pulls', { object: 'contacts' }),
    409, 'not_connected');

  // West reconnects through the authorization code flow as another user.
  const flow = await west.req('POST', '/api/integration/connect', {
    flow: 'authorization_code', login_url: simWest.url, client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  assert.equal(flow.status, 200, flow.text);
  const page = await fetch(flow.body.authorize_url);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(m[1], m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"'));
  }
  form.set('username', REP.name);
  form.set('password', REP.password);
  form.set('approve', '1');
  const auth = await fetch(new URL('/services/oauth2/authorize', simWest.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  });
  assert.equal(auth.status, 302, await auth.text());
  const cb = await fetch(auth.headers.get('location'), { redirect: 'manual' });
  assert.equal(cb.status, 302);
  assert.match(cb.headers.get('location'), /#integration\?connected=1$/);
  const w = (await west.req('GET', '/api/integration')).body.connection;
  assert.equal(w.connected, true);
  assert.equal(w.username, REP.name);
  assert.equal(w.grant, 'authorization_code');
  assert.equal((await east.req('GET', '/api/integration')).body.connection.connected, false);
  assertError(await east.req('POST', '/api/pulls', { object: 'contacts' }),
    409, 'not_connected');
});
