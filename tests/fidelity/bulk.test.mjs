// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// jsforce 3.10.16 Bulk API 2.0 queries against sfsim: conn.bulk2.query()
// with its default single results page, scanAll, values that need CSV
// quoting, rejected queries and the cleanup DELETE jsforce sends after
// them, failed jobs, and abort through a job handle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  BASE_PATH, api, clientCredentials, connectIntegration, onWire,
  rejectsWithCode, simControl, sleep, soqlString, startSim, stopSim,
} from './helpers.mjs';

const CONTACTS = 3000;
const JOB_PATH = new RegExp(`^${BASE_PATH}/jobs/query/[^/]+$`);
const RESULTS_PATH = new RegExp(`^${BASE_PATH}/jobs/query/[^/]+/results$`);

let sim;
let conn;

before(async () => {
  sim = await startSim([
    '--generate', `contacts=${CONTACTS},accounts=30`, '--seed', '42',
  ]);
  conn = await connectIntegration(sim);
  // The default of 1 s is Salesforce-friendly but slow for tests.
  conn.bulk2.pollInterval = 100;
});

after(async () => {
  await stopSim(sim);
});

async function bulkQuery(soql, options) {
  const stream = await conn.bulk2.query(soql, options);
  return stream.toArray();
}

describe('bulk2.query', () => {
  test('returns every record in one results page', async () => {
    const soql = 'SELECT Id, LastName, Email, Account.Name FROM Contact';
    const { result: records, wire } = await onWire(() => bulkQuery(soql));

    assert.equal(records.length, CONTACTS);
    assert.equal(new Set(records.map((r) => r.Id)).size, CONTACTS);
    assert.deepEqual(Object.keys(records[0]),
      ['Id', 'LastName', 'Email', 'Account.Name']);

    // The same values as the REST query, with null read as ''.
    const rest = await conn.query(soql, { autoFetch: true, maxFetch: 10000 });
    const byId = new Map(rest.records.map((r) => [r.Id, r]));
    for (const r of records) {
      const other = byId.get(r.Id);
      assert.ok(other, `${r.Id} is not in the REST result`);
      assert.equal(r.LastName, other.LastName);
      assert.equal(r.Email, other.Email ?? '');
      assert.equal(r['Account.Name'], other.Account ? other.Account.Name : '');
    }

    const posts = wire.matching('POST', new RegExp(`^${BASE_PATH}/jobs/query$`));
    assert.equal(posts.length, 1);
    assert.equal(posts[0].status, 200);
    const polls = wire.matching('GET', JOB_PATH);
    assert.ok(polls.length >= 2, `${polls.length} polls`);
    assert.ok(polls.every((e) => e.status === 200));
    const pages = wire.matching('GET', RESULTS_PATH);
    assert.equal(pages.length, 1, 'jsforce 3.10 needs a single page');
    assert.equal(pages[0].status, 200);
    assert.ok(!pages[0].path.includes('locator='));
    assert.equal(wire.matching('DELETE', JOB_PATH).length, 0);
  });

  test('values that need quoting survive', async () => {
    const lastName = 'O\'Neil, "Jr"\nsecond line';
    const created = await conn.sobject('Contact').create({
      FirstName: 'Zoë', LastName: lastName, DoNotCall: true,
    });
    assert.equal(created.success, true);
    const records = await bulkQuery('SELECT Id, FirstName, LastName, Email, '
      + `DoNotCall, CreatedDate FROM Contact WHERE Id = ${soqlString(created.id)}`);

    assert.equal(records.length, 1);
    assert.equal(records[0].Id, created.id);
    assert.equal(records[0].FirstName, 'Zoë');
    assert.equal(records[0].LastName, lastName);
    assert.equal(records[0].Email, '');
    assert.equal(records[0].DoNotCall, 'true');
    assert.match(records[0].CreatedDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  test('scanAll returns deleted records', async () => {
    const created = await conn.sobject('Contact').create({ LastName: 'Binned' });
    await conn.sobject('Contact').destroy(created.id);
    const soql = `SELECT Id, IsDeleted FROM Contact WHERE Id = ${soqlString(created.id)}`;

    const { result: all, wire } = await onWire(
      () => bulkQuery(soql, { scanAll: true }));
    assert.deepEqual(all, [{ Id: created.id, IsDeleted: 'true' }]);
    assert.equal(wire.matching('GET', RESULTS_PATH).length, 1);
    assert.deepEqual(await bulkQuery(soql), []);
  });

  test('a rejected query throws its code and the cleanup is answered', async () => {
    const { wire } = await onWire(async () => {
      await rejectsWithCode(bulkQuery('SELECT Id, Nope__c FROM Contact'),
        'INVALID_FIELD');
      // jsforce sends the cleanup DELETE without waiting for it.
      await sleep(300);
    });

    const cleanup = wire.matching('DELETE', JOB_PATH);
    assert.equal(cleanup.length, 1);
    assert.equal(cleanup[0].path, `${BASE_PATH}/jobs/query/undefined`);
    assert.equal(cleanup[0].status, 404);
    await rejectsWithCode(bulkQuery('SELECT COUNT() FROM Contact'), 'API_ERROR');
    // sfsim still serves requests.
    const count = await conn.sobject('Contact').count();
    assert.ok(count >= CONTACTS);
  });

  test('a failed job throws and is deleted', async () => {
    await simControl(sim, 'PUT', '/sim/bulk-faults', { 'bulk-fail': 1 });
    try {
      const { wire } = await onWire(async () => {
        await assert.rejects(bulkQuery('SELECT Id FROM Contact'),
          /Query job failed to complete/);
        await sleep(300);
      });
      const cleanup = wire.matching('DELETE', JOB_PATH);
      assert.equal(cleanup.length, 1);
      assert.equal(cleanup[0].status, 204);
      assert.equal(wire.matching('GET', RESULTS_PATH).length, 0);
    } finally {
      await simControl(sim, 'PUT', '/sim/bulk-faults', { 'bulk-fail': 0 });
    }
  });
});

describe('query job handle', () => {
  test('check, abort, poll and delete', async () => {
    const { access_token: token } = await clientCredentials(sim.url);
    const res = await api(sim.url, token, 'POST', `${BASE_PATH}/jobs/query`,
      { operation: 'query', query: 'SELECT Id FROM Contact' });
    assert.equal(res.status, 200, res.text);
    const job = conn.bulk2.job('query', { id: res.body.id });

    const info = await job.check();
    assert.equal(info.id, res.body.id);
    assert.equal(info.state, 'InProgress');
    assert.equal(info.jobType, 'V2Query');
    const aborted = await job.abort();
    assert.equal(aborted.state, 'Aborted');
    await assert.rejects(job.poll(100, 5000), /Job has been aborted/);
    await job.delete();
    await rejectsWithCode(job.check(), 'NOT_FOUND');
  });

  test('poll then read the results of a finished job', async () => {
    const { access_token: token } = await clientCredentials(sim.url);
    const res = await api(sim.url, token, 'POST', `${BASE_PATH}/jobs/query`,
      { operation: 'query', query: 'SELECT Id FROM Account' });
    const job = conn.bulk2.job('query', { id: res.body.id });

    await job.poll(100, 5000);
    assert.equal(job.getInfo().state, 'JobComplete');
    assert.equal(job.getInfo().numberRecordsProcessed, 30);
    const records = await (await job.result()).toArray();
    assert.equal(records.length, 30);
    await job.delete();
  });
});
