// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// jsforce 3.10.16 queries against sfsim with 5,000 generated Contacts:
// paging with autoFetch, maxFetch and queryMore, queryAll, the SObject
// find() and count() helpers, and SOQL errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  API_VERSION, BASE_PATH, connectIntegration, jsforce, onWire,
  rejectsWithCode, soqlString, startSim, stopSim,
} from './helpers.mjs';

const CONTACTS = 5000;
const ACCOUNTS = 50;
const ALL_CONTACTS = 'SELECT Id, LastName FROM Contact';

let sim;
let conn;

before(async () => {
  sim = await startSim([
    '--generate', `contacts=${CONTACTS},accounts=${ACCOUNTS}`,
    '--seed', '42',
  ]);
  conn = await connectIntegration(sim);
});

after(async () => {
  await stopSim(sim);
});

// Check that `records` contains every one of the CONTACTS generated records
// exactly once.
function assertEachContactOnce(records) {
  const ids = records.map((r) => r.Id);

  assert.equal(ids.length, CONTACTS);
  assert.equal(new Set(ids).size, CONTACTS, 'a record arrived twice');
}

// Check one page of a query reply: `done:false` always comes with a
// nextRecordsUrl, since jsforce re-runs the whole query when it is missing.
function assertPageShape(page) {
  assert.equal(page.totalSize, CONTACTS);
  assert.ok(Array.isArray(page.records));
  if (page.done) {
    assert.equal(page.nextRecordsUrl, undefined);
  } else {
    assert.equal(page.done, false);
    // jsforce returns the URL rebuilt from the locator and its own instance
    // URL, not the relative path the server sent.
    assert.match(page.nextRecordsUrl,
      new RegExp(`^${sim.url}${BASE_PATH}/query/[^/]+$`));
  }
}

test('autoFetch returns every record once', async () => {
  const { result, wire } = await onWire(
    () => conn.query(ALL_CONTACTS, { autoFetch: true, maxFetch: 10000 }));

  assertEachContactOnce(result.records);
  assert.equal(result.totalSize, CONTACTS);
  assert.equal(result.done, true);
  // 2,000 records a page by default: one query and two locator fetches.
  assert.deepEqual(wire.exchanges.map((e) => e.status), [200, 200, 200]);
  assert.match(wire.exchanges[0].path, /\/query\?q=/);
  assert.match(wire.exchanges[1].path, /\/query\/[^/?]+$/);
  assert.match(wire.exchanges[2].path, /\/query\/[^/?]+$/);
});

test('record shape in query results', async () => {
  const result = await conn.query(
    'SELECT Id, LastName, Email, SystemModstamp FROM Contact LIMIT 5');

  assert.equal(result.records.length, 5);
  assert.equal(result.totalSize, 5);
  assert.equal(result.done, true);
  for (const record of result.records) {
    assert.deepEqual(Object.keys(record),
      ['attributes', 'Id', 'LastName', 'Email', 'SystemModstamp']);
    assert.equal(record.attributes.type, 'Contact');
    assert.equal(record.attributes.url,
      `${BASE_PATH}/sobjects/Contact/${record.Id}`);
    assert.match(record.Id, /^003\w{15}$/);
    assert.equal(typeof record.LastName, 'string');
    assert.match(record.SystemModstamp,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/);
  }
});

test('maxFetch stops early', async () => {
  const result = await conn.query(ALL_CONTACTS,
    { autoFetch: true, maxFetch: 2500 });

  assert.equal(result.records.length, 2500);
  assert.equal(new Set(result.records.map((r) => r.Id)).size, 2500);
  assert.equal(result.totalSize, CONTACTS);
  assert.equal(result.done, false);
  assert.match(result.nextRecordsUrl, /\/query\/[^/]+$/);
});

test('queryMore with url and bare locator', async () => {
  const pages = [await conn.query(ALL_CONTACTS)];
  let useLocator = false;

  while (!pages.at(-1).done) {
    assert.ok(pages.length < 10, 'too many pages');
    const url = pages.at(-1).nextRecordsUrl;
    // The first follow-up passes the full URL, the next one only the
    // locator, which jsforce puts after /query/ itself.
    const next = useLocator ? url.split('/').pop() : url;
    pages.push(await conn.queryMore(next));
    useLocator = !useLocator;
  }

  for (const page of pages) assertPageShape(page);
  assert.deepEqual(pages.map((p) => p.records.length), [2000, 2000, 1000]);
  assertEachContactOnce(pages.flatMap((p) => p.records));
});

test('locator works under another API version', async () => {
  const first = await conn.query(ALL_CONTACTS);
  const older = new jsforce.Connection({
    instanceUrl: sim.url, accessToken: conn.accessToken, version: '59.0',
  });
  // jsforce keeps only the locator and rebuilds the URL with its own
  // version, so the locator must not depend on the version prefix.
  const { result: second, wire } = await onWire(
    () => older.queryMore(first.nextRecordsUrl));

  assert.match(wire.exchanges[0].path, /^\/services\/data\/v59\.0\/query\//);
  assert.equal(second.records.length, 2000);
  assert.equal(second.totalSize, CONTACTS);
  const firstIds = new Set(first.records.map((r) => r.Id));
  for (const record of second.records) {
    assert.ok(!firstIds.has(record.Id), `${record.Id} repeated on page 2`);
  }
});

test('query records through the stream', async () => {
  const ids = [];
  await new Promise((resolve, reject) => {
    conn.query(ALL_CONTACTS)
      .on('record', (record) => ids.push(record.Id))
      .on('end', resolve)
      .on('error', reject)
      .run({ autoFetch: true, maxFetch: 10000 });
  });

  assert.equal(ids.length, CONTACTS);
  assert.equal(new Set(ids).size, CONTACTS);
});

test('accounts fit one page', async () => {
  const result = await conn.query('SELECT Id, Name FROM Account');

  assert.equal(result.totalSize, ACCOUNTS);
  assert.equal(result.records.length, ACCOUNTS);
  assert.equal(result.done, true);
  assert.equal(result.nextRecordsUrl, undefined);
  for (const record of result.records) {
    assert.match(record.Id, /^001\w{15}$/);
    assert.equal(typeof record.Name, 'string');
  }
});

test('count matches the records', async () => {
  const all = await conn.query(ALL_CONTACTS,
    { autoFetch: true, maxFetch: 10000 });
  const expected = all.records
    .filter((r) => r.LastName.toLowerCase().startsWith('s')).length;
  const { result: total, wire } = await onWire(
    () => conn.sobject('Contact').count());

  assert.equal(total, CONTACTS);
  assert.match(wire.exchanges[0].path,
    /\/query\?q=SELECT%20count\(\)%20FROM%20Contact$/);
  // SOQL LIKE is case-insensitive.
  const matching = await conn.sobject('Contact')
    .count({ LastName: { $like: 'S%' } });
  assert.equal(matching, expected);
  assert.ok(expected > 0, 'no generated LastName starts with S');
});

test('find with conditions, sort and limit', async () => {
  const records = await conn.sobject('Contact').find(
    { LastName: { $like: 'S%' } },
    ['Id', 'LastName'],
    { sort: { LastName: 1 }, limit: 5 },
  );

  assert.equal(records.length, 5);
  for (const record of records) {
    assert.match(record.LastName, /^s/i);
  }
  const names = records.map((r) => r.LastName.toLowerCase());
  assert.deepEqual(names, [...names].sort());
});

test('find without fields selects describe fields', async () => {
  const firstPage = await conn.query('SELECT Id FROM Contact LIMIT 1');
  const id = firstPage.records[0].Id;
  // A new connection has no cached describe.
  const fresh = new jsforce.Connection({
    instanceUrl: sim.url, accessToken: conn.accessToken, version: API_VERSION,
  });
  // Without a field list jsforce describes Contact and selects every field
  // name the describe lists, so all of them must be valid in SOQL.
  const { result: record, wire } = await onWire(
    () => fresh.sobject('Contact').findOne({ Id: id }));
  const describe = await fresh.sobject('Contact').describe$();

  assert.equal(record.Id, id);
  for (const field of describe.fields) {
    assert.ok(field.name in record, `${field.name} missing from the record`);
  }
  assert.match(wire.exchanges[0].path, /\/sobjects\/Contact\/describe$/);
  assert.equal(wire.exchanges.at(-1).status, 200);
});

test('batchSize header sets the page size', async () => {
  const result = await conn.query(ALL_CONTACTS,
    { headers: { 'Sforce-Query-Options': 'batchSize=500' } });

  assert.equal(result.records.length, 500);
  assert.equal(result.totalSize, CONTACTS);
  assert.equal(result.done, false);
});

test('parent fields nest under the relationship', async () => {
  const result = await conn.query(
    'SELECT Id, AccountId, Account.Name FROM Contact LIMIT 200');
  const linked = result.records.filter((r) => r.AccountId !== null);
  const unlinked = result.records.filter((r) => r.AccountId === null);

  assert.ok(linked.length > 0, 'no generated Contact has an Account');
  for (const record of linked) {
    assert.deepEqual(Object.keys(record.Account), ['attributes', 'Name']);
    assert.equal(record.Account.attributes.type, 'Account');
    assert.equal(record.Account.attributes.url,
      `${BASE_PATH}/sobjects/Account/${record.AccountId}`);
    assert.equal(typeof record.Account.Name, 'string');
  }
  // An empty lookup gives null for the whole relationship.
  for (const record of unlinked) {
    assert.equal(record.Account, null);
  }
});

test('find on a parent field', async () => {
  const accounts = await conn.query(
    "SELECT Id FROM Account WHERE Name LIKE 'A%'");
  assert.ok(accounts.totalSize > 0, 'no generated Account name starts with A');
  const expected = await conn.sobject('Contact').count(
    { AccountId: { $in: accounts.records.map((r) => r.Id) } });
  const records = await conn.sobject('Contact').find(
    { 'Account.Name': { $like: 'A%' } }, ['Id', 'Account.Name']);

  assert.equal(records.length, expected);
  for (const record of records) {
    assert.match(record.Account.Name, /^a/i);
  }
});

test('datetime literals compare SystemModstamp', async () => {
  const all = await conn.query('SELECT Id, SystemModstamp FROM Contact',
    { autoFetch: true, maxFetch: 10000 });
  const stamps = all.records
    .map((r) => Date.parse(r.SystemModstamp.replace('+0000', 'Z')))
    .sort((a, b) => a - b);
  const pivot = stamps[Math.floor(stamps.length / 2)];
  const expected = stamps.filter((s) => s >= pivot).length;

  // jsforce writes the literal unquoted, in UTC with a Z.
  const literal = jsforce.SfDate.toDateTimeLiteral(new Date(pivot));
  const viaFind = await conn.sobject('Contact')
    .count({ SystemModstamp: { $gte: literal } });
  assert.equal(viaFind, expected);

  // The same instant written with a +01:00 offset.
  const shifted = new Date(pivot + 60 * 60 * 1000).toISOString()
    .replace(/\.\d{3}Z$/, '+01:00');
  const viaOffset = await conn.query(
    `SELECT count() FROM Contact WHERE SystemModstamp >= ${shifted}`);
  assert.equal(viaOffset.totalSize, expected);
});

test('malformed query is rejected', async () => {
  const error = await rejectsWithCode(
    conn.query('SELECT Id FROM Contact WHERE'), 'MALFORMED_QUERY');

  assert.ok(error.message.length > 0);
});

test('unknown field in query is rejected', async () => {
  const error = await rejectsWithCode(
    conn.query('SELECT Id, NoSuchField__c FROM Contact'), 'INVALID_FIELD');

  assert.match(error.message, /NoSuchField__c/);
});

test('unknown object in query is rejected', async () => {
  const error = await rejectsWithCode(
    conn.query('SELECT Id FROM Xyzzy'), 'INVALID_TYPE');

  assert.match(error.message, /Xyzzy/);
});

test('queryAll returns deleted records', async () => {
  const page = await conn.query('SELECT Id FROM Contact LIMIT 3');
  const ids = page.records.map((r) => r.Id);
  const results = await conn.sobject('Contact').destroy(ids);
  assert.deepEqual(results.map((r) => r.success), [true, true, true]);

  const inList = ids.map(soqlString).join(',');
  const soql = `SELECT Id, IsDeleted FROM Contact WHERE Id IN (${inList})`;
  const { result: all, wire } = await onWire(
    () => conn.query(soql, { scanAll: true }));
  const live = await conn.query(soql);

  assert.match(wire.exchanges[0].path,
    new RegExp(`^${BASE_PATH}/queryAll\\?q=`));
  assert.equal(all.totalSize, 3);
  assert.deepEqual(all.records.map((r) => r.Id).sort(), [...ids].sort());
  for (const record of all.records) {
    assert.equal(record.IsDeleted, true);
  }
  assert.equal(live.totalSize, 0);
  assert.deepEqual(live.records, []);
  assert.equal(await conn.sobject('Contact').count(), CONTACTS - 3);

  const allRows = await conn.query('SELECT Id FROM Contact',
    { scanAll: true, autoFetch: true, maxFetch: 10000 });
  assert.equal(allRows.totalSize, CONTACTS);
  assert.equal(allRows.records.length, CONTACTS);
});

test('API version in record urls follows the request', async () => {
  const older = new jsforce.Connection({
    instanceUrl: sim.url, accessToken: conn.accessToken, version: '59.0',
  });
  const result = await older.query('SELECT Id FROM Account LIMIT 1');

  assert.equal(result.records[0].attributes.url,
    `/services/data/v59.0/sobjects/Account/${result.records[0].Id}`);
});

describe('pages capped at 100 records', () => {
  let small;

  before(async () => {
    small = await startSim(
      ['--generate', 'contacts=450', '--fault', 'max-page-size=100']);
  });
  after(async () => {
    await stopSim(small);
  });

  test('autoFetch follows every page', async () => {
    const smallConn = await connectIntegration(small);
    const { result, wire } = await onWire(() => smallConn.query(ALL_CONTACTS,
      {
        autoFetch: true,
        headers: { 'Sforce-Query-Options': 'batchSize=2000' },
      }));

    assert.equal(result.totalSize, 450);
    assert.equal(result.records.length, 450);
    assert.equal(new Set(result.records.map((r) => r.Id)).size, 450);
    assert.equal(wire.exchanges.length, 5);
  });
});
