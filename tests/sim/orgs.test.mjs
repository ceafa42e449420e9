// SPDX-License-Identifier: MIT
// Several orgs in one sfsim (--orgs N): each has its own org id, record
// ids, users, tokens, API allowance and faults, and a request finds its org
// by the access token, the client id or, under /sim/, the org argument.
// Org 1 keeps the ids and credentials of a single-org sfsim.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startSim, clientCredentials, api, CLIENT_ID, CLIENT_SECRET }
  from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';
const ORGS = 3;

let sim;
const tokens = [];

// The client credentials of org k (1-based).
function client(k) {
  return k === 1 ? { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
    : { clientId: `${CLIENT_ID}-${k}`, clientSecret: `${CLIENT_SECRET}-${k}` };
}

async function token(url, body) {
  const res = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
  return { status: res.status, body: await res.json() };
}

async function query(k, soql) {
  return api(sim.url, tokens[k], 'GET', `${V}/query?q=${encodeURIComponent(soql)}`);
}

async function faults(k, method = 'GET', body) {
  const suffix = k === undefined ? '' : `?org=${k}`;
  const res = await fetch(`${sim.url}/sim/faults${suffix}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  sim = await startSim(['--orgs', String(ORGS), '--generate',
    'contacts=5,leads=3,accounts=2', '--user', 'rep@example.com:secret-1']);
  for (let k = 1; k <= ORGS; k++) {
    tokens[k] = (await clientCredentials(sim.url, client(k))).access_token;
  }
});

after(async () => { await sim.stop(); });

test('org 1 keeps its single-org ids', async () => {
  const org = await query(1, 'SELECT Id, Name FROM Organization');
  assert.equal(org.status, 200);
  assert.equal(org.body.records[0].Id, '00DHn0000001sFmMAI');
  assert.equal(org.body.records[0].Name, 'sfsim');
  assert.ok(tokens[1].startsWith('00DHn0000001sFm!'));
  const contacts = await query(1, 'SELECT Id FROM Contact');
  for (const r of contacts.body.records) assert.match(r.Id, /^003Hn0/);
});

test('orgs have distinct org and record ids', async () => {
  const seen = new Set();
  for (let k = 1; k <= ORGS; k++) {
    const org = (await query(k, 'SELECT Id FROM Organization')).body.records[0];
    assert.ok(tokens[k].startsWith(`${org.Id.slice(0, 15)}!`), `token of org ${k}`);
    const ids = [org.Id];
    for (const object of ['Contact', 'Lead', 'Account', 'User']) {
      const res = await query(k, `SELECT Id FROM ${object}`);
      assert.equal(res.status, 200);
      ids.push(...res.body.records.map((r) => r.Id));
    }
    assert.equal(ids.length, 1 + 5 + 3 + 2 + 2, `records of org ${k}`);
    for (const id of ids) {
      assert.equal(id.slice(3, 6), org.Id.slice(3, 6), `pod of ${id}`);
      assert.ok(!seen.has(id), `id ${id} of org ${k} is also another org's`);
      seen.add(id);
    }
  }
});

test('org does not see records of another', async () => {
  const created = await api(sim.url, tokens[2], 'POST', `${V}/sobjects/Contact`,
    { LastName: 'OnlyInTwo' });
  assert.equal(created.status, 201);
  const id = created.body.id;
  assert.equal((await query(2, "SELECT Id FROM Contact WHERE LastName = 'OnlyInTwo'"))
    .body.totalSize, 1);
  assert.equal((await query(1, "SELECT Id FROM Contact WHERE LastName = 'OnlyInTwo'"))
    .body.totalSize, 0);
  assert.equal((await query(3, "SELECT Id FROM Contact WHERE LastName = 'OnlyInTwo'"))
    .body.totalSize, 0);
  const other = await api(sim.url, tokens[1], 'GET', `${V}/sobjects/Contact/${id}`);
  assert.equal(other.status, 404);
  const own = await api(sim.url, tokens[2], 'GET', `${V}/sobjects/Contact/${id}`);
  assert.equal(own.status, 200);
  assert.equal(own.body.LastName, 'OnlyInTwo');
});

test('generated orgs differ by seed', async () => {
  const names = [];
  for (let k = 1; k <= ORGS; k++) {
    const res = await query(k, 'SELECT Name FROM Contact ORDER BY Name');
    names.push(res.body.records.map((r) => r.Name).join(','));
  }
  assert.notEqual(names[0], names[1]);
  assert.notEqual(names[1], names[2]);
});

test('client id picks the org of a token', async () => {
  const mixed = await token(sim.url, { grant_type: 'client_credentials',
    client_id: `${CLIENT_ID}-2`, client_secret: CLIENT_SECRET });
  assert.equal(mixed.status, 400);
  assert.equal(mixed.body.error, 'invalid_client');
  const unknown = await token(sim.url, { grant_type: 'client_credentials',
    client_id: `${CLIENT_ID}-${ORGS + 1}`, client_secret: `${CLIENT_SECRET}-${ORGS + 1}` });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error, 'invalid_client_id');

  const rep = await token(sim.url, { grant_type: 'password', ...{
    client_id: `${CLIENT_ID}-3`, client_secret: `${CLIENT_SECRET}-3` },
  username: 'rep@example.com', password: 'secret-1' });
  assert.equal(rep.status, 200);
  const org3 = (await query(3, 'SELECT Id FROM Organization')).body.records[0].Id;
  assert.ok(rep.body.access_token.startsWith(`${org3.slice(0, 15)}!`));
  assert.match(rep.body.id, new RegExp(`/id/${org3}/005${org3.slice(3, 6)}`));
});

test('token works only in its own org', async () => {
  const org2 = (await query(2, 'SELECT Id FROM Organization')).body.records[0].Id;
  // The org id in front of a token names the org: with another org's id
  // in front, the rest of the token is unknown there.
  const forged = `${org2.slice(0, 15)}${tokens[1].slice(15)}`;
  const res = await api(sim.url, forged, 'GET', `${V}/sobjects`);
  assert.equal(res.status, 401);

  const rep = await token(sim.url, { grant_type: 'password', client_id: `${CLIENT_ID}-2`,
    client_secret: `${CLIENT_SECRET}-2`, username: 'rep@example.com',
    password: 'secret-1' });
  assert.equal(rep.status, 200);
  const refresh = rep.body.refresh_token;
  assert.ok(refresh);
  const elsewhere = await token(sim.url, { grant_type: 'refresh_token',
    client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: refresh });
  assert.equal(elsewhere.status, 400);
  assert.equal(elsewhere.body.error, 'invalid_grant');
  const revoke = await fetch(`${sim.url}/services/oauth2/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: refresh }),
  });
  assert.equal(revoke.status, 200);
  const again = await token(sim.url, { grant_type: 'refresh_token',
    client_id: `${CLIENT_ID}-2`, client_secret: `${CLIENT_SECRET}-2`,
    refresh_token: refresh });
  assert.equal(again.status, 400);
  // Revoking org 2's refresh token leaves the other orgs' tokens alone.
  assert.equal((await api(sim.url, tokens[1], 'GET', `${V}/sobjects`)).status, 200);
  assert.equal((await api(sim.url, tokens[3], 'GET', `${V}/sobjects`)).status, 200);
});

// The hidden inputs of the authorize form, as a browser submits them.
function hiddenFields(html) {
  const fields = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]] = m[2].replace(/&amp;/g, '&');
  }
  return fields;
}

test('authorization code flow in org 2', async () => {
  const redirect = 'http://127.0.0.1:9/callback';
  const params = new URLSearchParams({ response_type: 'code',
    client_id: `${CLIENT_ID}-2`, redirect_uri: redirect });
  const page = await fetch(`${sim.url}/services/oauth2/authorize?${params}`);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const submit = await fetch(`${sim.url}/services/oauth2/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hiddenFields(html), username: 'rep@example.com',
      password: 'secret-1', approve: '1' }),
    redirect: 'manual',
  });
  assert.equal(submit.status, 302, await submit.text());
  const code = new URL(submit.headers.get('location')).searchParams.get('code');
  assert.ok(code);
  const exchange = { grant_type: 'authorization_code', code, redirect_uri: redirect };
  const elsewhere = await token(sim.url, { ...exchange, client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET });
  assert.equal(elsewhere.status, 400);
  assert.equal(elsewhere.body.error, 'invalid_grant');
  const issued = await token(sim.url, { ...exchange, client_id: `${CLIENT_ID}-2`,
    client_secret: `${CLIENT_SECRET}-2` });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const org2 = (await query(2, 'SELECT Id FROM Organization')).body.records[0].Id;
  assert.ok(issued.body.access_token.startsWith(`${org2.slice(0, 15)}!`));
});

test('faults apply to one org', async () => {
  try {
    const set = await faults(2, 'PUT', { unavailable: 1 });
    assert.equal(set.status, 200);
    assert.equal(set.body.unavailable, 1);
    assert.equal((await faults()).body.unavailable, 0);
    assert.equal((await faults(3)).body.unavailable, 0);
    assert.equal((await api(sim.url, tokens[2], 'GET', `${V}/sobjects`)).status, 503);
    assert.equal((await api(sim.url, tokens[1], 'GET', `${V}/sobjects`)).status, 200);
    assert.equal((await api(sim.url, tokens[3], 'GET', `${V}/sobjects`)).status, 200);
    const byHeader = await fetch(`${sim.url}/sim/faults`, { headers: { 'x-sfsim-org': '2' } });
    assert.equal((await byHeader.json()).unavailable, 1);
  } finally {
    await faults(2, 'PUT', { unavailable: 0 });
  }
});

test('API allowance is counted per org', async () => {
  const before1 = (await api(sim.url, tokens[1], 'GET', `${V}/limits`)).body
    .DailyApiRequests.Remaining;
  await faults(3, 'PUT', { 'api-limit': 5, 'api-used': 5 });
  try {
    const limited = await api(sim.url, tokens[3], 'GET', `${V}/sobjects`);
    assert.equal(limited.status, 403);
    assert.equal(limited.body[0].errorCode, 'REQUEST_LIMIT_EXCEEDED');
    const after1 = (await api(sim.url, tokens[1], 'GET', `${V}/limits`)).body
      .DailyApiRequests.Remaining;
    // The second /limits call itself counts against org 1.
    assert.equal(after1, before1 - 1);
  } finally {
    await faults(3, 'PUT', { 'api-limit': 100000, 'api-used': 0 });
  }
});

test('control endpoints take the org', async () => {
  const id = (await query(3, 'SELECT Id FROM Contact LIMIT 1')).body.records[0].Id;
  const elsewhere = await fetch(`${sim.url}/sim/records/${id}`, {
    method: 'PATCH', body: JSON.stringify({ Title: 'Set directly' }),
  });
  assert.equal(elsewhere.status, 404);
  const org3 = (await query(3, 'SELECT Id FROM Organization')).body.records[0].Id;
  const patched = await fetch(`${sim.url}/sim/records/${id}?org=${org3}`, {
    method: 'PATCH', body: JSON.stringify({ Title: 'Set directly' }),
  });
  assert.equal(patched.status, 200);
  const rec = await api(sim.url, tokens[3], 'GET', `${V}/sobjects/Contact/${id}`);
  assert.equal(rec.body.Title, 'Set directly');

  for (const bad of ['0', String(ORGS + 1), 'two', '00DHn0000001sFz']) {
    const res = await fetch(`${sim.url}/sim/faults?org=${bad}`);
    assert.equal(res.status, 400, `org=${bad}`);
    assert.match((await res.json()).error, new RegExp(`org '${bad}' is not served here`));
  }
});

test('state file refused with several orgs', async () => {
  const proc = spawn(process.env.SFSIM, ['--listen', '127.0.0.1:0', '--orgs', '2',
    '--state', '/nonexistent/sfsim-state.db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderr += d; });
  const [code] = await once(proc, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /--state keeps one org, so it cannot be combined with --orgs 2/);
});

test('invalid org count is rejected', async () => {
  for (const bad of ['0', '100001', 'x']) {
    const proc = spawn(process.env.SFSIM, ['--listen', '127.0.0.1:0', '--orgs', bad],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => { stderr += d; });
    const [code] = await once(proc, 'exit');
    assert.equal(code, 2, `--orgs ${bad}`);
    assert.match(stderr, new RegExp(`invalid value '${bad}' for --orgs`));
  }
});
