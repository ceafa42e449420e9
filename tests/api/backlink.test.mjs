// SPDX-License-Identifier: MIT
// The back link of `sfsync serve`: with backlink_field and public_url set,
// every linked record gets its contact's page address once, contacts that
// never change locally included, and again only when Salesforce's value
// differs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ADMIN, Client, Server, V, api, clientCredentials, connectArgs, queryAll,
  startSim, waitFor,
} from './lib.mjs';

const CONTACTS = 450;
const LEADS = 30;
const PUBLIC = 'http://sfsync.test:9';

let sim;
let server;
let admin;
let token;

before(async () => {
  sim = await startSim(['--generate',
    `contacts=${CONTACTS},leads=${LEADS},accounts=20`,
    '--custom-field', 'Contact.Sfsync_Url__c:url:255',
    '--custom-field', 'Lead.Sfsync_Url__c:url:255']);
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.w.ok(connectArgs(server.w, sim.url));
  for (const [key, value] of Object.entries({
    objects: 'contacts,leads', backlink_field: 'Sfsync_Url__c',
    public_url: PUBLIC, poll_interval: 1,
  })) {
    await server.w.ok(['config', 'set', key, String(value)]);
  }
  await server.start();
  admin = new Client(server.url);
  await admin.signIn(ADMIN);
  ({ access_token: token } = await clientCredentials(sim.url));
});

after(async () => {
  await server.stop();
  await sim.stop();
});

async function sfQuery(soql) {
  return (await queryAll(sim.url, token, soql)).records;
}

// Local contact id by Salesforce id.
async function localIds() {
  const res = await admin.req('GET', '/api/contacts?limit=1000');
  assert.equal(res.status, 200, res.text);
  return new Map(res.body.contacts.filter((c) => c.salesforce)
    .map((c) => [c.salesforce.id, c.id]));
}

// The records of object whose back link is not their contact's address.
async function wrongLinks(object, ids) {
  const recs = await sfQuery(`SELECT Id, Sfsync_Url__c FROM ${object}`);
  return recs.filter((r) => !ids.has(r.Id)
    || r.Sfsync_Url__c !== `${PUBLIC}/#contacts/${ids.get(r.Id)}`);
}

// Sum of the counts of the "back links written" log lines of object.
function written(object) {
  let sum = 0;
  for (const m of server.stderr.matchAll(
    new RegExp(`back links written run=\\d+ object=${object} count=(\\d+)`, 'g'))) {
    sum += Number(m[1]);
  }
  return sum;
}

// The id of the newest finished sync round, 0 before the first. Every
// round records a new run (an idle round replaces the idle one before it)
// and no pull runs here, so the id grows by one a round.
async function newestRound() {
  const res = await admin.req('GET', '/api/runs?kind=sync&limit=5');
  const done = res.body.runs.filter((r) => r.status !== 'running');
  return done.length ? done[0].id : 0;
}

// Wait until n more sync rounds have finished.
async function roundsAfter(n) {
  const start = await newestRound();
  await waitFor(async () => (await newestRound()) >= start + n, 20000,
    `${n} finished rounds`);
}

test('unchanged contacts get their back link once', async () => {
  const { value: ids } = await waitFor(async () => {
    const m = await localIds();
    return m.size === CONTACTS + LEADS ? m : null;
  }, 60000, 'every record linked');
  await waitFor(async () => (await wrongLinks('Contact', ids)).length === 0
    && (await wrongLinks('Lead', ids)).length === 0, 30000,
  'every back link in sfsim');
  const stamps = new Map((await sfQuery(
    'SELECT Id, SystemModstamp FROM Contact')).map((r) => [r.Id, r.SystemModstamp]));

  // Further rounds write nothing: the stamps stay and the log adds none.
  await roundsAfter(3);
  const later = await sfQuery('SELECT Id, SystemModstamp FROM Contact');
  for (const r of later) assert.equal(r.SystemModstamp, stamps.get(r.Id), r.Id);
  assert.equal(written('Contact'), CONTACTS, server.stderr.slice(-3000));
  assert.equal(written('Lead'), LEADS, server.stderr.slice(-3000));
});

test('back link changed in Salesforce is written again', async () => {
  const ids = await localIds();
  const [rec] = await sfQuery('SELECT Id FROM Contact ORDER BY Id LIMIT 1');
  const patched = await api(sim.url, token, 'PATCH',
    `${V}/sobjects/Contact/${rec.Id}`, { Sfsync_Url__c: 'http://elsewhere.test/x' });
  assert.equal(patched.status, 204, patched.text);
  await waitFor(async () => {
    const [now] = await sfQuery(
      `SELECT Sfsync_Url__c FROM Contact WHERE Id = '${rec.Id}'`);
    return now.Sfsync_Url__c === `${PUBLIC}/#contacts/${ids.get(rec.Id)}`;
  }, 10000, 'the back link written again');
  // The log line follows the write, once the round's writes are done.
  await waitFor(() => written('Contact') === CONTACTS + 1, 5000,
    'the log line of the write');
  await roundsAfter(2);
  assert.equal(written('Contact'), CONTACTS + 1);
});

test('local edit does not rewrite the back link', async () => {
  const ids = await localIds();
  const [rec] = await sfQuery('SELECT Id FROM Contact ORDER BY Id DESC LIMIT 1');
  const before = written('Contact');
  const res = await admin.req('PATCH', `/api/contacts/${ids.get(rec.Id)}`,
    { title: 'Back link check' });
  assert.equal(res.status, 200, res.text);
  await waitFor(async () => {
    const [now] = await sfQuery(`SELECT Title FROM Contact WHERE Id = '${rec.Id}'`);
    return now.Title === 'Back link check';
  }, 5000, 'the edit in sfsim');
  await roundsAfter(2);
  assert.equal(written('Contact'), before);
});
