// SPDX-License-Identifier: MIT
// How writes carry over to related records: deleting an Account deletes
// its Contacts, a merge moves the losers' Contacts and converted Leads to
// the master, and lead conversion checks the Account and Contact it goes
// into.
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

async function create(object, fields) {
  const r = await api(sim.url, token, 'POST', `${V}/sobjects/${object}`, fields);
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

async function get(object, id) {
  return api(sim.url, token, 'GET', `${V}/sobjects/${object}/${id}`);
}

async function control(path, body) {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function convert(leadId, body = {}) {
  return control(`/sim/leads/${leadId}/convert`, body);
}

test('deleting an Account deletes its Contacts', async () => {
  const account = await create('Account', { Name: 'Doomed' });
  const contacts = [await create('Contact', { LastName: 'One', AccountId: account }),
    await create('Contact', { LastName: 'Two', AccountId: account })];
  const other = await create('Contact', { LastName: 'Elsewhere' });
  const r = await api(sim.url, token, 'DELETE', `${V}/sobjects/Account/${account}`);
  assert.equal(r.status, 204);
  for (const id of contacts) {
    const c = await get('Contact', id);
    assert.equal(c.status, 404, id);
    assert.equal(c.body[0].errorCode, 'ENTITY_IS_DELETED');
  }
  const q = await api(sim.url, token, 'GET',
    `${V}/queryAll?q=${encodeURIComponent(`SELECT Id, IsDeleted FROM Contact WHERE AccountId = '${account}'`)}`);
  assert.equal(q.body.totalSize, 2);
  assert.ok(q.body.records.every((c) => c.IsDeleted === true));
  assert.equal((await get('Contact', other)).status, 200);
});

test('collection delete cascades to Contacts', async () => {
  const account = await create('Account', { Name: 'Doomed too' });
  const contact = await create('Contact', { LastName: 'Three', AccountId: account });
  const second = await create('Account', { Name: 'Doomed three' });
  const child = await create('Contact', { LastName: 'Four', AccountId: second });
  const kept = await create('Contact', { LastName: 'Five', AccountId: await create('Account', { Name: 'Kept' }) });
  let r = await api(sim.url, token, 'DELETE', `${V}/composite/sobjects?ids=${second}`);
  assert.deepEqual(r.body.map((x) => x.success), [true]);
  assert.equal((await get('Contact', child)).status, 404);
  // A Contact listed after its Account was deleted with it: both succeed.
  r = await api(sim.url, token, 'DELETE', `${V}/composite/sobjects?ids=${account},${contact}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.map((x) => x.success), [true, true]);
  assert.equal((await get('Contact', contact)).status, 404);
  assert.equal((await get('Contact', kept)).status, 200);
});

test('merging Accounts moves Contacts and converted Leads', async () => {
  const master = await create('Account', { Name: 'Master' });
  const loser = await create('Account', { Name: 'Loser' });
  const contact = await create('Contact', { LastName: 'Moved', AccountId: loser });
  const lead = await create('Lead', { LastName: 'Converted', Company: 'Loser' });
  const conv = await convert(lead, { accountId: loser });
  assert.equal(conv.status, 200, JSON.stringify(conv.body));
  const r = await control('/sim/merge', { masterId: master, ids: [loser] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal((await get('Contact', contact)).body.AccountId, master);
  assert.equal((await get('Contact', conv.body.contactId)).body.AccountId, master);
  assert.equal((await get('Lead', lead)).body.ConvertedAccountId, master);
  assert.equal((await get('Account', loser)).status, 404);
});

test('merging Contacts re-points converted Leads', async () => {
  const account = await create('Account', { Name: 'Contacts merge' });
  const master = await create('Contact', { LastName: 'Keep', AccountId: account });
  const loser = await create('Contact', { LastName: 'Drop', AccountId: account });
  const lead = await create('Lead', { LastName: 'Drop', Company: 'X' });
  const conv = await convert(lead, { accountId: account, contactId: loser });
  assert.equal(conv.status, 200, JSON.stringify(conv.body));
  const r = await control('/sim/merge', { masterId: master, ids: [loser] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal((await get('Lead', lead)).body.ConvertedContactId, master);
});

test('merge rejects repeated ids and converted Leads', async () => {
  const master = await create('Account', { Name: 'M' });
  const loser = await create('Account', { Name: 'L' });
  let r = await control('/sim/merge', { masterId: master, ids: [loser, loser] });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /same record twice/);
  r = await control('/sim/merge', { masterId: master, ids: [loser, loser.slice(0, 15)] });
  assert.equal(r.status, 400);
  assert.equal((await get('Account', loser)).status, 200);
  const converted = await create('Lead', { LastName: 'C', Company: 'C' });
  assert.equal((await convert(converted)).status, 200);
  const open = await create('Lead', { LastName: 'O', Company: 'O' });
  r = await control('/sim/merge', { masterId: open, ids: [converted] });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /converted Lead/);
  r = await control('/sim/merge', { masterId: converted, ids: [open] });
  assert.equal(r.status, 400);
  assert.equal((await get('Lead', open)).status, 200);
});

test('convert rejects a Contact of another Account', async () => {
  const mine = await create('Account', { Name: 'Mine' });
  const theirs = await create('Account', { Name: 'Theirs' });
  const contact = await create('Contact', { LastName: 'Theirs', AccountId: theirs });
  const loose = await create('Contact', { LastName: 'Loose' });
  const lead = await create('Lead', { LastName: 'L', Company: 'C' });
  let r = await convert(lead, { accountId: mine, contactId: contact });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /belongs to Account/);
  r = await convert(lead, { accountId: mine, contactId: loose });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /belongs to no Account/);
  r = await convert(lead, { contactId: loose });
  assert.equal(r.status, 400);
  assert.equal((await get('Lead', lead)).body.IsConverted, false);
  r = await convert(lead, { accountId: theirs, contactId: contact });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.accountId, theirs);
});

test('convert rejects unknown keys and statuses', async () => {
  const lead = await create('Lead', { LastName: 'K', Company: 'K' });
  let r = await convert(lead, { acountId: 'x' });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /'acountId'/);
  assert.match(r.body.error, /accountId, contactId, convertedStatus or username/);
  r = await convert(lead, { convertedStatus: 'Bogus' });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /'Bogus' is not a value of the Lead Status picklist/);
  r = await convert(lead, { convertedStatus: 42 });
  assert.equal(r.status, 400);
  assert.equal((await get('Lead', lead)).body.IsConverted, false);
  r = await convert(lead, { convertedStatus: 'Closed - Converted' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
});
