// SPDX-License-Identifier: MIT
// The REST query resources of sfsim over real HTTP: paging through query
// locators with batchSize, totalSize, queryAll and the recycle bin, parent
// relationship fields, Salesforce's query error bodies, and the column
// metadata that the sf CLI requests with columns=true.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSim, clientCredentials, passwordGrant, api } from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';
const CONTACTS = 5000;
const ACCOUNTS = 100;
const LOCATOR_URL = /^\/services\/data\/v60\.0\/query\/01g[0-9A-Za-z]{15}-(\d+)$/;

// Call the API and check that the reply is JSON, as jsforce needs.
async function call(sim, token, path, headers = {}) {
  const res = await api(sim.url, token, 'GET', path, undefined, headers);
  assert.match(res.headers.get('content-type') || '', /^application\/json(;|$)/,
    `${path} answered without a JSON content type`);
  return res;
}

function query(sim, token, soql, { all = false, headers, extra = '' } = {}) {
  const resource = all ? 'queryAll' : 'query';
  return call(sim, token,
    `${V}/${resource}?q=${encodeURIComponent(soql)}${extra}`, headers);
}

// Assert a one-error REST reply and return the error.
function oneError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.ok(Array.isArray(res.body), res.text);
  assert.equal(res.body.length, 1, res.text);
  assert.equal(res.body[0].errorCode, code, res.text);
  return res.body[0];
}

// Follow nextRecordsUrl to the end; return the pages.
async function allPages(sim, token, first, rewrite = (url) => url, headers) {
  const pages = [first];
  let page = first;

  while (!page.done) {
    assert.ok(page.nextRecordsUrl, 'done:false came without nextRecordsUrl');
    const res = await call(sim, token, rewrite(page.nextRecordsUrl), headers);
    assert.equal(res.status, 200, res.text);
    page = res.body;
    pages.push(page);
    assert.ok(pages.length < 100, 'paging does not end');
  }
  return pages;
}

describe('query over generated data', () => {
  let sim;
  let token;

  before(async () => {
    sim = await startSim(['--generate', `contacts=${CONTACTS},accounts=${ACCOUNTS}`,
      '--user', 'other@example.com:other-pass']);
    token = (await clientCredentials(sim.url)).access_token;
  });
  after(async () => { await sim.stop(); });

  test('default page has 2000 records', async () => {
    const res = await query(sim, token, 'SELECT Id FROM Contact');
    assert.equal(res.status, 200);
    assert.equal(res.body.totalSize, CONTACTS);
    assert.equal(res.body.done, false);
    assert.equal(res.body.records.length, 2000);
    const m = LOCATOR_URL.exec(res.body.nextRecordsUrl);
    assert.ok(m, res.body.nextRecordsUrl);
    assert.equal(Number(m[1]), 2000);
  });

  test('batchSize pages reach every record once across versions', async () => {
    const headers = { 'Sforce-Query-Options': 'batchSize=700' };
    const first = await query(sim, token, 'SELECT Id, LastName FROM Contact ORDER BY Id',
      { headers });
    assert.equal(first.status, 200);
    // jsforce rebuilds the locator URL with its own API version.
    const pages = await allPages(sim, token, first.body,
      (url) => url.replace('/v60.0/', '/v45.0/'), headers);
    const ids = pages.flatMap((p) => p.records.map((r) => r.Id));

    assert.deepEqual(pages.map((p) => p.records.length),
      [700, 700, 700, 700, 700, 700, 700, 100]);
    for (const p of pages) assert.equal(p.totalSize, CONTACTS);
    assert.equal(ids.length, CONTACTS);
    assert.equal(new Set(ids).size, CONTACTS);
    assert.deepEqual(ids, [...ids].sort());
    assert.equal(pages.at(-1).done, true);
    assert.equal(pages.at(-1).nextRecordsUrl, undefined);
    // A later page carries the attributes of the version it was asked with.
    assert.match(pages[1].records[0].attributes.url, /^\/services\/data\/v45\.0\/sobjects\/Contact\//);
  });

  test('batchSize is held to 200..2000', async () => {
    for (const [asked, got] of [['50', 200], ['200', 200], ['5000', 2000], ['x', 2000]]) {
      const res = await query(sim, token, 'SELECT Id FROM Contact',
        { headers: { 'Sforce-Query-Options': `batchSize=${asked}` } });
      assert.equal(res.status, 200);
      assert.equal(res.body.records.length, got, `batchSize=${asked}`);
    }
  });

  test('locator pages answer under queryAll too', async () => {
    const first = await query(sim, token, 'SELECT Id FROM Contact');
    const url = first.body.nextRecordsUrl.replace('/query/', '/queryAll/');
    const res = await call(sim, token, url);
    assert.equal(res.status, 200);
    assert.equal(res.body.records.length, 2000);
    assert.equal(res.body.records[0].Id === first.body.records[0].Id, false);
  });

  test('a locator can be fetched again', async () => {
    const first = await query(sim, token, 'SELECT Id FROM Contact');
    const a = await call(sim, token, first.body.nextRecordsUrl);
    const b = await call(sim, token, first.body.nextRecordsUrl);
    assert.deepEqual(a.body, b.body);
  });

  test('unknown or foreign locators are INVALID_QUERY_LOCATOR', async () => {
    const first = await query(sim, token, 'SELECT Id FROM Contact');
    const bad = [
      `${V}/query/01gHn0000009999IAA-2000`,
      `${V}/query/${first.body.nextRecordsUrl.split('/').pop().split('-')[0]}-99999`,
      `${V}/query/nonsense`,
      `${V}/query/01gHn0000009999IAA`,
    ];
    for (const path of bad) {
      const e = oneError(await call(sim, token, path), 400, 'INVALID_QUERY_LOCATOR');
      assert.equal(e.message, 'invalid query locator');
    }
    const other = (await passwordGrant(sim.url, 'other@example.com', 'other-pass')).access_token;
    oneError(await call(sim, other, first.body.nextRecordsUrl), 400, 'INVALID_QUERY_LOCATOR');
  });

  test('count() returns totalSize and no records', async () => {
    for (const soql of ['SELECT count() FROM Contact', 'select COUNT() from contact']) {
      const res = await query(sim, token, soql);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { totalSize: CONTACTS, done: true, records: [] });
    }
    const limited = await query(sim, token, 'SELECT count() FROM Contact LIMIT 10');
    assert.equal(limited.body.totalSize, 10);
  });

  test('LIMIT and OFFSET shape totalSize', async () => {
    const res = await query(sim, token,
      'SELECT Id FROM Contact ORDER BY Id LIMIT 2500 OFFSET 100',
      { headers: { 'Sforce-Query-Options': 'batchSize=1000' } });
    assert.equal(res.body.totalSize, 2500);
    const pages = await allPages(sim, token, res.body);
    assert.equal(pages.flatMap((p) => p.records).length, 2500);
    const all = await query(sim, token, 'SELECT Id FROM Contact ORDER BY Id LIMIT 101');
    assert.equal(pages[0].records[0].Id, all.body.records[100].Id);
  });

  test('Account.Name comes back nested, or null', async () => {
    const res = await query(sim, token,
      'SELECT Id, account.name, LastName FROM Contact ORDER BY Id LIMIT 2000');
    assert.equal(res.status, 200);
    const withAccount = res.body.records.filter((r) => r.Account !== null);
    const without = res.body.records.filter((r) => r.Account === null);
    assert.ok(withAccount.length > 0, 'no Contact has an Account');
    assert.ok(without.length > 0, 'every Contact has an Account');
    for (const r of res.body.records) {
      assert.deepEqual(Object.keys(r), ['attributes', 'Id', 'Account', 'LastName']);
    }
    const account = withAccount[0].Account;
    assert.deepEqual(Object.keys(account), ['attributes', 'Name']);
    assert.equal(account.attributes.type, 'Account');
    assert.match(account.attributes.url, /^\/services\/data\/v60\.0\/sobjects\/Account\/001\w{15}$/);
    const id = account.attributes.url.split('/').pop();
    const parent = await call(sim, token, `${V}/sobjects/Account/${id}`);
    assert.equal(parent.body.Name, account.Name);
  });

  test('filters on a parent field', async () => {
    const first = await query(sim, token,
      'SELECT Id, Account.Name FROM Contact WHERE Account.Name != null LIMIT 1');
    const name = first.body.records[0].Account.Name;
    const res = await query(sim, token,
      `SELECT Id, Account.Name FROM Contact WHERE Account.Name = '${name.replace(/'/g, "\\'")}'`);
    assert.ok(res.body.totalSize >= 1);
    for (const r of res.body.records) assert.equal(r.Account.Name, name);
  });

  test('columns=true describes the select list', async () => {
    const res = await query(sim, token, 'SELECT Id, LastName, Account.Name FROM Contact',
      { extra: '&columns=true' });
    assert.equal(res.status, 200);
    assert.equal(res.body.entityName, 'Contact');
    assert.equal(res.body.groupBy, false);
    assert.equal(res.body.idSelected, true);
    assert.equal(res.body.keyPrefix, '003');
    const cols = res.body.columnMetadata;
    assert.deepEqual(cols.map((c) => c.columnName), ['Id', 'LastName', 'Account']);
    assert.deepEqual(cols[0].joinColumns, []);
    assert.equal(cols[0].aggregate, false);
    assert.deepEqual(cols[2].joinColumns.map((c) => [c.columnName, c.displayName]),
      [['Name', 'Account.Name']]);
  });

  test('a page of 2000 Contacts is served quickly', async () => {
    const soql = 'SELECT Id, FirstName, LastName, Email, Phone, Account.Name, '
      + 'SystemModstamp FROM Contact WHERE SystemModstamp >= 2000-01-01T00:00:00Z '
      + 'ORDER BY SystemModstamp, Id';
    const first = await query(sim, token, soql);
    const start = process.hrtime.bigint();
    const res = await call(sim, token, first.body.nextRecordsUrl);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(res.body.records.length, 2000);
    // Measured at about 20 ms; the bound leaves room for slow machines.
    assert.ok(ms < 1000, `page took ${ms} ms`);
  });
});

describe('query semantics over REST-created records', () => {
  let sim;
  let token;
  let accountId;
  const ids = {};

  async function create(object, fields) {
    const res = await api(sim.url, token, 'POST', `${V}/sobjects/${object}`, fields);
    assert.equal(res.status, 201, res.text);
    return res.body.id;
  }

  before(async () => {
    sim = await startSim([]);
    token = (await clientCredentials(sim.url)).access_token;
    accountId = await create('Account', { Name: 'Acme Corp' });
    ids.obrien = await create('Contact', { LastName: "O'Brien", Email: 'ann@example.com', AccountId: accountId });
    ids.smith = await create('Contact', { LastName: 'Smith', FirstName: 'Bob' });
    ids.gone = await create('Contact', { LastName: 'Gone' });
    const del = await api(sim.url, token, 'DELETE', `${V}/sobjects/Contact/${ids.gone}`);
    assert.equal(del.status, 204);
  });
  after(async () => { await sim.stop(); });

  test('query leaves out the recycle bin and queryAll shows it', async () => {
    const soql = 'SELECT Id, LastName, IsDeleted FROM Contact ORDER BY LastName';
    const live = await query(sim, token, soql);
    assert.deepEqual(live.body.records.map((r) => r.LastName), ["O'Brien", 'Smith']);
    const all = await query(sim, token, soql, { all: true });
    assert.equal(all.body.totalSize, 3);
    const gone = all.body.records.find((r) => r.Id === ids.gone);
    assert.equal(gone.IsDeleted, true);
    const binOnly = await query(sim, token, 'SELECT Id FROM Contact WHERE IsDeleted = true', { all: true });
    assert.deepEqual(binOnly.body.records.map((r) => r.Id), [ids.gone]);
  });

  test('names are case-insensitive and come back canonical', async () => {
    const res = await query(sim, token,
      "select id, lastname, ACCOUNT.NAME from CONTACT where LASTNAME = 'o\\'brien'");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.records.map((r) => Object.keys(r)),
      [['attributes', 'Id', 'LastName', 'Account']]);
    assert.deepEqual(res.body.records[0].attributes,
      { type: 'Contact', url: `${V}/sobjects/Contact/${ids.obrien}` });
    assert.equal(res.body.records[0].Account.Name, 'Acme Corp');
  });

  test('an empty lookup gives a null relationship', async () => {
    const res = await query(sim, token, `SELECT Account.Name FROM Contact WHERE Id = '${ids.smith}'`);
    assert.deepEqual(res.body.records[0].Account, null);
  });

  test('empty result', async () => {
    const res = await query(sim, token, "SELECT Id FROM Contact WHERE LastName = 'Nobody'");
    assert.deepEqual(res.body, { totalSize: 0, done: true, records: [] });
  });

  test('later pages show current values', async () => {
    for (let i = 0; i < 250; i++) await create('Contact', { LastName: `Bulk${i}` });
    const first = await query(sim, token, "SELECT Id, LastName FROM Contact WHERE LastName LIKE 'Bulk%' ORDER BY Id",
      { headers: { 'Sforce-Query-Options': 'batchSize=200' } });
    assert.equal(first.body.totalSize, 250);
    assert.equal(first.body.records.length, 200);
    const next = await call(sim, token, first.body.nextRecordsUrl);
    const target = next.body.records[0].Id;
    const patch = await api(sim.url, token, 'PATCH', `${V}/sobjects/Contact/${target}`, { LastName: 'Renamed' });
    assert.equal(patch.status, 204);
    const again = await call(sim, token, first.body.nextRecordsUrl);
    assert.equal(again.body.records[0].LastName, 'Renamed');
    assert.equal(again.body.done, true);
  });

  test('error bodies follow Salesforce', async () => {
    let e = oneError(await query(sim, token, 'select count() from XYZZY'), 400, 'INVALID_TYPE');
    assert.equal(e.message, "\nselect count() from XYZZY\n                    ^\nERROR at Row:1:Column:21\n"
      + "sObject type 'XYZZY' is not supported. If you are attempting to use a custom object, be sure "
      + "to append the '__c' after the entity name. Please reference your WSDL or the describe call "
      + 'for the appropriate names.');
    e = oneError(await query(sim, token, 'SELECT Id, foo FROM Contact'), 400, 'INVALID_FIELD');
    assert.equal(e.message, "\nSELECT Id, foo FROM Contact\n           ^\nERROR at Row:1:Column:12\n"
      + "No such column 'foo' on entity 'Contact'. If you are attempting to use a custom field, be "
      + "sure to append the '__c' after the custom field name. Please reference your WSDL or the "
      + 'describe call for the appropriate names.');
    e = oneError(await query(sim, token, 'SELECT Id FROM Contact WHERE'), 400, 'MALFORMED_QUERY');
    assert.match(e.message, /\nERROR at Row:1:Column:29\nunexpected token: '<EOF>'$/);
    e = oneError(await query(sim, token, "SELECT Id FROM Contact WHERE LastName = 'a\\x'"), 400, 'MALFORMED_QUERY');
    assert.match(e.message, /Illegal character sequence '\\x' in string literal\.$/);
    e = oneError(await query(sim, token, "SELECT Id FROM Contact WHERE IsDeleted LIKE 'x'"),
      400, 'INVALID_QUERY_FILTER_OPERATOR');
    assert.match(e.message, /\ninvalid operator on boolean field$/);
    e = oneError(await query(sim, token, "SELECT Id FROM Contact WHERE Id LIKE '003%'"),
      400, 'INVALID_QUERY_FILTER_OPERATOR');
    e = oneError(await query(sim, token, 'SELECT Id FROM Contact WHERE IsDeleted > true'),
      400, 'INVALID_QUERY_FILTER_OPERATOR');
    e = oneError(await query(sim, token, 'SELECT Id FROM Contact\nWHERE\n  Nope = 1'), 400, 'INVALID_FIELD');
    assert.match(e.message, /^\n {2}Nope = 1\n {2}\^\nERROR at Row:3:Column:3\n/);
    e = oneError(await query(sim, token, 'SELECT Id FROM Contact OFFSET 2001'), 400, 'NUMBER_OUTSIDE_VALID_RANGE');
    assert.equal(e.message, 'Maximum SOQL offset allowed is 2000');
  });

  test('a missing q is MALFORMED_QUERY', async () => {
    for (const path of [`${V}/query`, `${V}/query?q=`, `${V}/queryAll`]) {
      const e = oneError(await call(sim, token, path), 400, 'MALFORMED_QUERY');
      assert.equal(e.message, 'A query string has to be specified');
    }
  });

  test('calls without a token are refused before the query runs', async () => {
    const res = await api(sim.url, 'nonsense', 'GET', `${V}/query?q=${encodeURIComponent('SELECT Id FROM Contact')}`);
    assert.equal(res.status, 401);
  });
});

describe('query page size fault', () => {
  let sim;
  let token;

  before(async () => {
    sim = await startSim(['--generate', 'contacts=450', '--fault', 'max-page-size=100']);
    token = (await clientCredentials(sim.url)).access_token;
  });
  after(async () => { await sim.stop(); });

  test('max-page-size caps every page', async () => {
    const first = await query(sim, token, 'SELECT Id FROM Contact');
    assert.equal(first.body.totalSize, 450);
    const pages = await allPages(sim, token, first.body);
    assert.deepEqual(pages.map((p) => p.records.length), [100, 100, 100, 100, 50]);
    for (const p of pages.slice(0, -1)) {
      assert.equal(p.done, false);
      assert.match(p.nextRecordsUrl, LOCATOR_URL);
    }
  });
});
