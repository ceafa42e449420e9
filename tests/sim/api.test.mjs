// SPDX-License-Identifier: MIT
// sfsim's request pipeline: versions, resources, limits, authentication,
// the daily allowance, fault switches, body size, paths, and the
// simulator-only control endpoints for lead conversion and merge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startSim, clientCredentials, passwordGrant, api } from '../lib/sfsim.mjs';

let sim;
let token;
const V = '/services/data/v60.0';

before(async () => {
  sim = await startSim(['--user', 'rep@example.com:rep-pass', '--max-body', '4096']);
  token = (await clientCredentials(sim.url)).access_token;
});

after(async () => { await sim.stop(); });

test('versions list is public JSON', async () => {
  const res = await fetch(`${sim.url}/services/data`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json(;|$)/);
  const list = await res.json();
  const v62 = list.find((v) => v.version === '62.0');
  assert.deepEqual(v62, { label: "Winter '25", url: '/services/data/v62.0', version: '62.0' });
  assert.equal(list.find((v) => v.version === '60.0').label, "Spring '24");
  assert.equal(list.find((v) => v.version === '61.0').label, "Summer '24");
  assert.equal(list.find((v) => v.version === '59.0').label, "Winter '24");
});

test('repeated slashes are collapsed', async () => {
  const res = await fetch(`${sim.url}//services//data`);
  assert.equal(res.status, 200);
  const r = await api(sim.url, token, 'GET', `//services/data/v60.0//limits`);
  assert.equal(r.status, 200);
});

test('resources of a version include identity', async () => {
  const r = await api(sim.url, token, 'GET', V);
  assert.equal(r.status, 200);
  assert.equal(r.body.query, `${V}/query`);
  assert.equal(r.body.sobjects, `${V}/sobjects`);
  assert.match(r.body.identity, new RegExp(`^${sim.url}/id/00D\\w{15}/005\\w{15}$`));
});

test('unknown version is NOT_FOUND', async () => {
  for (const v of ['v5.0', 'v99.0', 'vabc', 'v60']) {
    const r = await api(sim.url, token, 'GET', `/services/data/${v}/limits`);
    assert.equal(r.status, 404, v);
    assert.equal(r.body[0].errorCode, 'NOT_FOUND');
  }
});

test('missing or bad token gets INVALID_SESSION_ID', async () => {
  for (const t of ['', 'nonsense', '00DHn0000001sFm!bogus']) {
    const r = await api(sim.url, t, 'GET', `${V}/limits`);
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    assert.match(r.headers.get('content-type'), /^application\/json/);
  }
});

test('limit info counts every API call', async () => {
  const a = await api(sim.url, token, 'GET', `${V}/limits`);
  const b = await api(sim.url, token, 'GET', `${V}/limits`);
  const used = (h) => Number(/api-usage=(\d+)\/(\d+)/.exec(h.get('sforce-limit-info'))[1]);
  assert.equal(used(b.headers), used(a.headers) + 1);
  assert.equal(/api-usage=\d+\/(\d+)/.exec(a.headers.get('sforce-limit-info'))[1], '100000');
  assert.equal(b.body.DailyApiRequests.Max, 100000);
  assert.equal(b.body.DailyApiRequests.Remaining, 100000 - used(b.headers));
});

test('unknown path is NOT_FOUND JSON', async () => {
  const r = await api(sim.url, token, 'GET', `${V}/nothing/here`);
  assert.equal(r.status, 404);
  assert.equal(r.body[0].errorCode, 'NOT_FOUND');
  assert.equal(r.body[0].message, 'The requested resource does not exist');
});

test('oversized body gets 413', async () => {
  const r = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`,
    { LastName: 'x'.repeat(8000) });
  assert.equal(r.status, 413);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.body[0].errorCode, 'REQUEST_ENTITY_TOO_LARGE');
});

test('faults endpoint reads and sets switches', async () => {
  let res = await fetch(`${sim.url}/sim/faults`);
  assert.equal(res.status, 200);
  const f = await res.json();
  assert.equal(f.unavailable, 0);
  res = await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ wobble: 1 }) });
  assert.equal(res.status, 400);
  assert.match((await res.json()).error, /unknown fault 'wobble'/);
  res = await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ unavailable: 2 }) });
  assert.equal(res.status, 400);
  res = await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: '{not json' });
  assert.equal(res.status, 400);
});

test('unavailable fault answers 503 SERVER_UNAVAILABLE', async () => {
  await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ unavailable: 1 }) });
  const r = await api(sim.url, token, 'GET', `${V}/limits`);
  await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ unavailable: 0 }) });
  assert.equal(r.status, 503);
  assert.equal(r.body[0].errorCode, 'SERVER_UNAVAILABLE');
  const ok = await api(sim.url, token, 'GET', `${V}/limits`);
  assert.equal(ok.status, 200);
});

test('drop fault closes the connection after the write', async () => {
  await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ drop: 1 }) });
  await assert.rejects(api(sim.url, token, 'POST', `${V}/sobjects/Account`, { Name: 'Dropped Co' }));
  await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ drop: 0 }) });
  const q = await api(sim.url, token, 'GET',
    `${V}/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = 'Dropped Co'")}`);
  assert.equal(q.status, 200);
  assert.equal(q.body.totalSize, 1, 'the write was applied before the drop');
});

test('latency fault delays API calls', async () => {
  await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ latency: 300 }) });
  const t0 = Date.now();
  await api(sim.url, token, 'GET', `${V}/limits`);
  const took = Date.now() - t0;
  await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ latency: 0 }) });
  assert.ok(took >= 300, `took ${took} ms`);
});

test('daily limit gives REQUEST_LIMIT_EXCEEDED', async () => {
  const before = await (await fetch(`${sim.url}/sim/faults`)).json();
  await fetch(`${sim.url}/sim/faults`, {
    method: 'PUT', body: JSON.stringify({ 'api-limit': before['api-used'] + 1 }),
  });
  const ok = await api(sim.url, token, 'GET', `${V}/limits`);
  assert.equal(ok.status, 200);
  const r = await api(sim.url, token, 'GET', `${V}/limits`);
  assert.equal(r.status, 403);
  assert.deepEqual(r.body, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
  await fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ 'api-limit': 100000 }) });
});

test('lead conversion creates Contact and Account and freezes the Lead', async () => {
  const rep = await passwordGrant(sim.url, 'rep@example.com', 'rep-pass');
  const lead = await api(sim.url, token, 'POST', `${V}/sobjects/Lead`,
    { FirstName: 'Ada', LastName: 'Byron', Company: 'Engines Ltd', Phone: '+44 20 7946 0958', Email: 'ada@engines.example' });
  assert.equal(lead.status, 201);
  const res = await fetch(`${sim.url}/sim/leads/${lead.body.id}/convert`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 200);
  const conv = await res.json();
  assert.match(conv.contactId, /^003\w{15}$/);
  assert.match(conv.accountId, /^001\w{15}$/);
  const l = await api(sim.url, token, 'GET', `${V}/sobjects/Lead/${lead.body.id}`);
  assert.equal(l.body.IsConverted, true);
  assert.equal(l.body.ConvertedContactId, conv.contactId);
  assert.equal(l.body.ConvertedAccountId, conv.accountId);
  assert.match(l.body.ConvertedDate, /^\d{4}-\d\d-\d\d$/);
  assert.equal(l.body.Status, 'Closed - Converted');
  const c = await api(sim.url, token, 'GET', `${V}/sobjects/Contact/${conv.contactId}`);
  assert.equal(c.body.LastName, 'Byron');
  assert.equal(c.body.Email, 'ada@engines.example');
  assert.equal(c.body.AccountId, conv.accountId);
  const a = await api(sim.url, token, 'GET', `${V}/sobjects/Account/${conv.accountId}`);
  assert.equal(a.body.Name, 'Engines Ltd');
  const upd = await api(sim.url, rep.access_token, 'PATCH', `${V}/sobjects/Lead/${lead.body.id}`, { Title: 'CTO' });
  assert.equal(upd.status, 400);
  assert.equal(upd.body[0].errorCode, 'CANNOT_UPDATE_CONVERTED_LEAD');
  const again = await fetch(`${sim.url}/sim/leads/${lead.body.id}/convert`, { method: 'POST', body: '{}' });
  assert.equal(again.status, 400);
});

test('lead conversion into an existing Contact fills only empty fields', async () => {
  const acct = await api(sim.url, token, 'POST', `${V}/sobjects/Account`, { Name: 'Existing Inc' });
  const contact = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`,
    { LastName: 'Known', Email: 'kept@existing.example', AccountId: acct.body.id });
  const lead = await api(sim.url, token, 'POST', `${V}/sobjects/Lead`,
    { LastName: 'Known', Company: 'Existing Inc', Email: 'other@existing.example', Phone: '555-0100' });
  const res = await fetch(`${sim.url}/sim/leads/${lead.body.id}/convert`, {
    method: 'POST', body: JSON.stringify({ contactId: contact.body.id }),
  });
  const conv = await res.json();
  assert.equal(conv.contactId, contact.body.id);
  assert.equal(conv.accountId, acct.body.id);
  const c = await api(sim.url, token, 'GET', `${V}/sobjects/Contact/${contact.body.id}`);
  assert.equal(c.body.Email, 'kept@existing.example');
  assert.equal(c.body.Phone, '555-0100');
});

test('merge deletes losers and sets MasterRecordId', async () => {
  const ids = [];
  for (const n of ['Master', 'LoserA', 'LoserB']) {
    ids.push((await api(sim.url, token, 'POST', `${V}/sobjects/Contact`, { LastName: n })).body.id);
  }
  const res = await fetch(`${sim.url}/sim/merge`, {
    method: 'POST', body: JSON.stringify({ masterId: ids[0], ids: ids.slice(1) }),
  });
  assert.equal(res.status, 200);
  const q = await api(sim.url, token, 'GET', `${V}/queryAll?q=${encodeURIComponent(
    `SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id IN ('${ids.join("','")}') ORDER BY LastName`)}`);
  assert.equal(q.status, 200);
  const byId = Object.fromEntries(q.body.records.map((r) => [r.Id, r]));
  assert.equal(byId[ids[0]].IsDeleted, false);
  assert.equal(byId[ids[0]].MasterRecordId, null);
  for (const loser of ids.slice(1)) {
    assert.equal(byId[loser].IsDeleted, true);
    assert.equal(byId[loser].MasterRecordId, ids[0]);
  }
  const live = await api(sim.url, token, 'GET', `${V}/query?q=${encodeURIComponent(
    `SELECT Id FROM Contact WHERE Id IN ('${ids.join("','")}')`)}`);
  assert.equal(live.body.totalSize, 1);
  const bad = await fetch(`${sim.url}/sim/merge`, {
    method: 'POST', body: JSON.stringify({ masterId: ids[0], ids: [ids[0]] }),
  });
  assert.equal(bad.status, 400);
});

test('server binds loopback only by default', async () => {
  const port = Number(new URL(sim.url).port);
  await new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(); });
    s.on('error', reject);
  });
});

test('body faults damage replies', async () => {
  const put = (f) => fetch(`${sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify(f) });
  await put({ html: 1 });
  let r = await api(sim.url, token, 'GET', `${V}/limits`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  await put({ html: 0, truncate: 1 });
  const cut = await fetch(`${sim.url}${V}/limits`, { headers: { authorization: `Bearer ${token}` } });
  const text = await cut.text();
  await put({ truncate: 0 });
  assert.match(cut.headers.get('content-type'), /^application\/json/);
  assert.throws(() => JSON.parse(text));
  await put({ corrupt: 1 });
  // The resource list, because the damage goes into a string value.
  const res = await fetch(`${sim.url}${V}`, { headers: { authorization: `Bearer ${token}` } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  await put({ corrupt: 0 });
  assert.ok(bytes.includes(0xff), 'a byte was made invalid UTF-8');
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  r = await api(sim.url, token, 'GET', `${V}/limits`);
  assert.equal(r.status, 200);
  assert.equal(typeof r.body.DailyApiRequests.Max, 'number');
});

test('raw record patch bypasses validation', async () => {
  const c = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`, { LastName: 'Raw' });
  const long = 'x'.repeat(300);
  let res = await fetch(`${sim.url}/sim/records/${c.body.id}`, {
    method: 'PATCH', body: JSON.stringify({ Title: long, SystemModstamp: '2020-01-02T03:04:05Z' }),
  });
  assert.equal(res.status, 200);
  const got = await api(sim.url, token, 'GET', `${V}/sobjects/Contact/${c.body.id}?fields=Title,SystemModstamp`);
  assert.equal(got.body.Title, long);
  assert.equal(got.body.SystemModstamp, '2020-01-02T03:04:05.000+0000');
  res = await fetch(`${sim.url}/sim/records/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ Nope__c: 1 }) });
  assert.equal(res.status, 400);
  res = await fetch(`${sim.url}/sim/records/003Hn0000009999AAA`, { method: 'PATCH', body: '{}' });
  assert.equal(res.status, 404);
});

test('lightning record page shows the record', async () => {
  const c = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`,
    { FirstName: 'Grace', LastName: 'Hopper <Navy>' });
  let res = await fetch(`${sim.url}/lightning/r/Contact/${c.body.id}/view`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const html = await res.text();
  assert.match(html, /<h1>Grace Hopper &lt;Navy&gt;<\/h1>/);
  res = await fetch(`${sim.url}/lightning/r/Lead/${c.body.id}/view`);
  assert.equal(res.status, 404);
});
