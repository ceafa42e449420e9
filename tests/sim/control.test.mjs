// SPDX-License-Identifier: MIT
// The simulator-only control endpoints beyond conversion and merge.
// /sim/faults checks every value before it changes anything and keeps
// counts within their bounds. The corrupt fault damages only a string
// value. /sim/records/{id} sets stored values but not the fields sfsim
// maintains.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, clientCredentials, api } from '../lib/sfsim.mjs';

let sim;
let token;
const V = '/services/data/v60.0';

before(async () => {
  sim = await startSim();
  token = (await clientCredentials(sim.url)).access_token;
});

after(async () => { await sim.stop(); });

async function faults(method = 'GET', body) {
  let text = body;
  if (body !== undefined && typeof body !== 'string') text = JSON.stringify(body);
  const res = await fetch(`${sim.url}/sim/faults`, { method, body: text });
  return { status: res.status, body: await res.json() };
}

async function rawEdit(id, body) {
  const res = await fetch(`${sim.url}/sim/records/${id}`, { method: 'PATCH', body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('bad fault value changes nothing', async () => {
  const start = (await faults()).body;
  let r = await faults('PUT', { latency: 7, nope: 1 });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /unknown fault 'nope'/);
  r = await faults('PUT', { lock: 0.5, latency: 1.5 });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /'1\.5' for fault 'latency'/);
  assert.deepEqual((await faults()).body, start);
});

test('fault values are checked by kind', async () => {
  const cases = [
    [{ latency: 'abc' }, /'abc' for fault 'latency': give a whole number from 0 to 60000/],
    [{ latency: null }, /'null' for fault 'latency'/],
    [{ latency: 60001 }, /'60001'/],
    [{ latency: -1 }, /'-1'/],
    [{ 'late-commit': 30 * 86400 + 1 }, /from 0 to 2592000/],
    [{ 'max-page-size': 2001 }, /from 0 to 2000/],
    [{ 'expire-after': '9223372036854775808' }, /from 0 to 9223372036854775807/],
    ['{"api-limit": 1e20}', /'1e\+20' for fault 'api-limit'/],
    [{ unavailable: -0.1 }, /invalid value '-0\.1' for fault 'unavailable': give a rate from 0 to 1/],
    [{ drop: 'nan' }, /'nan'/],
    [{ html: true }, /'true' for fault 'html'/],
    [{ 'same-stamp': 2 }, /give 1 or 0/],
  ];
  for (const [body, message] of cases) {
    const r = await faults('PUT', body);
    assert.equal(r.status, 400, String(JSON.stringify(body)));
    assert.match(r.body.error, message, String(JSON.stringify(body)));
  }
  const ok = await faults('PUT', { latency: 60000, 'late-commit': 2592000, 'max-page-size': 2000, 'same-stamp': true });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.latency, 60000);
  assert.equal(ok.body['late-commit'], 2592000);
  const off = await faults('PUT', { latency: 0, 'late-commit': 0, 'max-page-size': 0, 'same-stamp': false });
  assert.equal(off.body.latency, 0);
});

test('seed appears in the fault list', async () => {
  assert.equal((await faults()).body.seed, null);
  const r = await faults('PUT', { seed: 12345 });
  assert.equal(r.status, 200);
  assert.equal(r.body.seed, 12345);
  assert.equal((await faults()).body.seed, 12345);
});

test('fault body must be an object', async () => {
  const r = await faults('PUT', '[]');
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'the body must be a JSON object, not an array');
});

test('corrupt fault keeps the JSON syntax', async () => {
  await faults('PUT', { corrupt: 1 });
  try {
    const res = await fetch(`${sim.url}${V}`, { headers: { authorization: `Bearer ${token}` } });
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.ok(bytes.includes(0xff), 'a byte was made invalid UTF-8');
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    // Read as Latin-1 the body still parses: the byte sits inside a string.
    const parsed = JSON.parse(bytes.toString('latin1'));
    assert.deepEqual(Object.keys(parsed).sort(),
      ['composite', 'identity', 'jobs', 'limits', 'query', 'queryAll', 'sobjects']);
    // /limits has no string values, so nothing is damaged.
    const limits = await fetch(`${sim.url}${V}/limits`, { headers: { authorization: `Bearer ${token}` } });
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await limits.arrayBuffer());
    assert.equal(typeof JSON.parse(text).DailyApiRequests.Max, 'number');
  } finally {
    await faults('PUT', { corrupt: 0 });
  }
  assert.doesNotMatch(sim.stderr(), /fault: reply made invalid UTF-8 path=\/services\/data\/v60\.0\/limits/);
});

test('raw edit rejects fields sfsim maintains', async () => {
  const c = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`, { LastName: 'Raw' });
  const id = c.body.id;
  for (const field of ['Id', 'IsDeleted', 'MasterRecordId', 'CreatedById', 'Name', 'MailingAddress']) {
    const r = await rawEdit(id, { [field]: field === 'IsDeleted' ? true : null });
    assert.equal(r.status, 400, field);
    assert.match(r.body.error, /maintained by sfsim/, field);
  }
  const stamp = '2020-01-02T03:04:05.000+0000';
  const r = await rawEdit(id, { CreatedDate: stamp, LastModifiedDate: stamp, SystemModstamp: stamp });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.SystemModstamp, stamp);
  const got = await api(sim.url, token, 'GET', `${V}/sobjects/Contact/${id}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.IsDeleted, false);
});

test('raw edit rejects values that do not fit the type', async () => {
  const a = await api(sim.url, token, 'POST', `${V}/sobjects/Account`, { Name: 'Raw' });
  const id = a.body.id;
  const cases = [
    { AnnualRevenue: '1e400' }, { AnnualRevenue: 'abc' }, { NumberOfEmployees: 1.5 },
    { NumberOfEmployees: '99999999999999999999' }, { CreatedDate: 'yesterday' },
    { OwnerId: 'not-an-id' },
  ];
  for (const body of cases) {
    const r = await rawEdit(id, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.body.error, /does not fit its type/, JSON.stringify(body));
  }
  // Values the API would reject today are the point of the endpoint.
  const r = await rawEdit(id, { Name: 'x'.repeat(300), AnnualRevenue: '12.5', NumberOfEmployees: '7' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.AnnualRevenue, 12.5);
  assert.equal(r.body.NumberOfEmployees, 7);
});
