// SPDX-License-Identifier: MIT
// sfsim's Bulk API 2.0 query jobs over real HTTP. The tests cover the job
// information, the state machine across polls, and CSV results with their
// quoting, null and datetime forms. They page through Sforce-Locator with
// maxRecords, abort, delete and list jobs, and check rejected queries,
// queryAll, the API allowance, the bulk-fail fault and the streaming rate
// of a large result.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSim, clientCredentials, api } from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';
const JOBS = `${V}/jobs/query`;
const STATES = ['UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted'];
const SF_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/;
const BULK_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/;

// Parse RFC 4180 CSV: rows of values, where an unquoted empty value is
// null and "" is the empty string.
function parseCsv(text, delimiter = ',') {
  const rows = [];
  let row = [];
  let i = 0;
  let atStart = true;

  while (i < text.length) {
    let value = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        assert.ok(i < text.length, 'CSV ends inside a quoted value');
        if (text[i] === '"' && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else {
          value += text[i++];
        }
      }
    } else {
      while (i < text.length && text[i] !== delimiter && text[i] !== '\n'
        && text[i] !== '\r') {
        assert.notEqual(text[i], '"', 'quote inside an unquoted value');
        value += text[i++];
      }
    }
    row.push(quoted || value.length ? value : null);
    atStart = false;
    if (text[i] === delimiter) {
      i++;
      continue;
    }
    if (text[i] === '\r') i++;
    assert.ok(i >= text.length || text[i] === '\n', `bad byte at ${i}`);
    i++;
    rows.push(row);
    row = [];
    atStart = true;
  }
  if (!atStart) rows.push(row);
  return rows;
}

async function createJob(sim, token, body) {
  const res = await api(sim.url, token, 'POST', JOBS,
    typeof body === 'string' ? { operation: 'query', query: body } : body);
  return res;
}

async function poll(sim, token, id) {
  const res = await api(sim.url, token, 'GET', `${JOBS}/${id}`);
  assert.equal(res.status, 200, res.text);
  assert.ok(STATES.includes(res.body.state), `state ${res.body.state}`);
  return res.body;
}

// Poll until the job leaves UploadComplete and InProgress; return the
// states seen, the last one included.
async function waitDone(sim, token, id) {
  const states = [];
  for (let n = 0; n < 200; n++) {
    const info = await poll(sim, token, id);
    states.push(info.state);
    if (!['UploadComplete', 'InProgress'].includes(info.state)) {
      return { info, states };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${id} did not finish`);
}

async function results(sim, token, id, query = '') {
  return api(sim.url, token, 'GET', `${JOBS}/${id}/results${query}`, undefined,
    { accept: 'text/csv' });
}

// Create a job for soql, wait for it and return its one page of results.
async function runJob(sim, token, soql, body = {}) {
  const created = await createJob(sim, token, { operation: 'query', query: soql, ...body });
  assert.equal(created.status, 200, created.text);
  const { info } = await waitDone(sim, token, created.body.id);
  assert.equal(info.state, 'JobComplete');
  const res = await results(sim, token, created.body.id);
  assert.equal(res.status, 200, res.text);
  return { id: created.body.id, res, rows: parseCsv(res.text, body.delim) };
}

function oneError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  assert.ok(Array.isArray(res.body), res.text);
  assert.equal(res.body.length, 1, res.text);
  assert.equal(res.body[0].errorCode, code, res.text);
  return res.body[0];
}

describe('query jobs over a small org', () => {
  let sim;
  let token;
  let tricky;

  before(async () => {
    sim = await startSim(['--generate', 'contacts=60,accounts=5', '--seed', '7']);
    token = (await clientCredentials(sim.url)).access_token;
    const res = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`, {
      FirstName: 'Zoë',
      LastName: 'O\'Neil, "Jr"\nsecond line',
      DoNotCall: true,
    });
    assert.equal(res.status, 201, res.text);
    tricky = res.body.id;
  });

  after(async () => { await sim.stop(); });

  test('create returns the job information', async () => {
    const res = await createJob(sim, token, 'SELECT Id FROM Contact');
    assert.equal(res.status, 200, res.text);
    const job = res.body;
    assert.match(job.id, /^750[A-Za-z0-9]{15}$/);
    assert.equal(job.operation, 'query');
    assert.equal(job.object, 'Contact');
    assert.match(job.createdById, /^005[A-Za-z0-9]{15}$/);
    assert.match(job.createdDate, SF_DATETIME);
    assert.match(job.systemModstamp, SF_DATETIME);
    assert.equal(job.state, 'UploadComplete');
    assert.equal(job.concurrencyMode, 'Parallel');
    assert.equal(job.contentType, 'CSV');
    assert.equal(job.lineEnding, 'LF');
    assert.equal(job.columnDelimiter, 'COMMA');
    // apiVersion is a JSON number written with its fraction.
    assert.equal(job.apiVersion, 60);
    assert.match(res.text, /"apiVersion":60\.0/);
    assert.equal(res.headers.get('sforce-locator'), null);
  });

  test('states move on across polls', async () => {
    const created = await createJob(sim, token, 'SELECT Id FROM Contact');
    const { info, states } = await waitDone(sim, token, created.body.id);
    assert.equal(states[0], 'InProgress');
    assert.equal(states.at(-1), 'JobComplete');
    assert.equal(info.id, created.body.id);
    assert.equal(info.jobType, 'V2Query');
    assert.equal(info.numberRecordsProcessed, 61);
    assert.equal(info.retries, 0);
    assert.equal(typeof info.totalProcessingTime, 'number');
    assert.equal(info.errorMessage, undefined);
    const again = await poll(sim, token, created.body.id);
    assert.equal(again.state, 'JobComplete');
  });

  test('results are quoted CSV in select order', async () => {
    const soql = 'SELECT LastName, Id, FirstName, Email, DoNotCall, '
      + 'CreatedDate, Account.Name FROM Contact ORDER BY LastName';
    const { res, rows } = await runJob(sim, token, soql);
    assert.equal(res.headers.get('content-type'), 'text/csv');
    assert.equal(res.headers.get('sforce-locator'), 'null');
    assert.equal(res.headers.get('sforce-numberofrecords'), '61');
    assert.match(res.headers.get('sforce-limit-info'), /^api-usage=\d+\/\d+$/);

    assert.ok(res.text.startsWith(
      '"LastName","Id","FirstName","Email","DoNotCall","CreatedDate","Account.Name"\n'));
    assert.deepEqual(rows[0], ['LastName', 'Id', 'FirstName', 'Email',
      'DoNotCall', 'CreatedDate', 'Account.Name']);
    assert.equal(rows.length, 62);

    const row = rows.find((r) => r[1] === tricky);
    assert.ok(row, 'the created contact is in the results');
    assert.equal(row[0], 'O\'Neil, "Jr"\nsecond line');
    assert.equal(row[2], 'Zoë');
    assert.equal(row[3], null, 'a null is an empty unquoted value');
    assert.equal(row[4], 'true');
    assert.match(row[5], BULK_DATETIME);
    assert.equal(row[6], null, 'an empty lookup gives null parent columns');
    assert.ok(res.text.includes('"O\'Neil, ""Jr""\nsecond line"'));

    for (const r of rows.slice(1)) {
      assert.ok(['true', 'false'].includes(r[4]), `DoNotCall ${r[4]}`);
      assert.match(r[5], BULK_DATETIME);
    }
    // The rows follow ORDER BY, compared as REST query returns them.
    const rest = await api(sim.url, token, 'GET',
      `${V}/query?q=${encodeURIComponent(soql)}`);
    assert.deepEqual(rows.slice(1).map((r) => r[1]),
      rest.body.records.map((r) => r.Id));
  });

  test('tab delimiter and CRLF line ending', async () => {
    const created = await createJob(sim, token, {
      operation: 'query', query: 'SELECT Id, LastName FROM Contact LIMIT 3',
      columnDelimiter: 'TAB', lineEnding: 'CRLF',
    });
    assert.equal(created.status, 200, created.text);
    assert.equal(created.body.columnDelimiter, 'TAB');
    assert.equal(created.body.lineEnding, 'CRLF');
    await waitDone(sim, token, created.body.id);
    const res = await results(sim, token, created.body.id);
    assert.ok(res.text.startsWith('"Id"\t"LastName"\r\n'), res.text);
    assert.equal(res.text.split('\r\n').length, 5);
    assert.equal(parseCsv(res.text, '\t').length, 4);
  });

  test('maxRecords pages through re-readable locators', async () => {
    const created = await createJob(sim, token, 'SELECT Id FROM Contact ORDER BY Id');
    const id = created.body.id;
    await waitDone(sim, token, id);
    const ids = [];
    const locators = [];
    let locator = null;
    for (;;) {
      const q = `?maxRecords=25${locator ? `&locator=${locator}` : ''}`;
      const res = await results(sim, token, id, q);
      assert.equal(res.status, 200, res.text);
      const rows = parseCsv(res.text);
      assert.deepEqual(rows[0], ['Id']);
      assert.equal(Number(res.headers.get('sforce-numberofrecords')), rows.length - 1);
      ids.push(...rows.slice(1).map((r) => r[0]));
      locator = res.headers.get('sforce-locator');
      assert.ok(locator, 'Sforce-Locator is always sent');
      if (locator === 'null') break;
      assert.match(locator, /^[A-Za-z0-9]+$/);
      locators.push(locator);
      assert.ok(locators.length < 10);
    }

    assert.equal(ids.length, 61);
    assert.equal(new Set(ids).size, 61);
    assert.deepEqual(ids, [...ids].sort());
    assert.equal(locators.length, 2);
    // A page can be read again while the job exists.
    const first = await results(sim, token, id, `?maxRecords=25&locator=${locators[0]}`);
    const second = await results(sim, token, id, `?maxRecords=25&locator=${locators[0]}`);
    assert.equal(first.text, second.text);
    assert.equal(parseCsv(first.text)[1][0], ids[25]);
    // The locator alone reads the rest in one page.
    const rest = await results(sim, token, id, `?locator=${locators[0]}`);
    assert.equal(parseCsv(rest.text).length, 61 - 25 + 1);
    assert.equal(rest.headers.get('sforce-locator'), 'null');

    oneError(await results(sim, token, id, '?locator=bm9wZQ'), 400, 'INVALID_QUERY_LOCATOR');
    oneError(await results(sim, token, id, '?locator=OTk5'), 400, 'INVALID_QUERY_LOCATOR');
    oneError(await results(sim, token, id, '?maxRecords=0'), 400, 'INVALID_PARAMETER_VALUE');
    oneError(await results(sim, token, id, '?maxRecords=ten'), 400, 'INVALID_PARAMETER_VALUE');
  });

  test('results wait for JobComplete and the same version', async () => {
    const created = await createJob(sim, token, 'SELECT Id FROM Contact');
    const id = created.body.id;
    const early = oneError(await results(sim, token, id), 412, 'JOB_NOT_COMPLETE');
    assert.match(early.message, /UploadComplete/);
    await waitDone(sim, token, id);
    oneError(await api(sim.url, token, 'GET', `/services/data/v59.0/jobs/query/${id}/results`),
      409, 'API_VERSION_MISMATCH');
    assert.equal((await results(sim, token, id)).status, 200);
  });

  test('abort, delete and list', async () => {
    const created = await createJob(sim, token, 'SELECT Id FROM Contact');
    const id = created.body.id;
    const aborted = await api(sim.url, token, 'PATCH', `${JOBS}/${id}`, { state: 'Aborted' });
    assert.equal(aborted.status, 200, aborted.text);
    assert.equal(aborted.body.state, 'Aborted');
    assert.equal((await poll(sim, token, id)).state, 'Aborted');
    oneError(await results(sim, token, id), 412, 'JOB_NOT_COMPLETE');
    oneError(await api(sim.url, token, 'PATCH', `${JOBS}/${id}`, { state: 'Aborted' }),
      400, 'INVALIDJOBSTATE');
    const other = await createJob(sim, token, 'SELECT Id FROM Contact');
    oneError(await api(sim.url, token, 'PATCH', `${JOBS}/${other.body.id}`,
      { state: 'UploadComplete' }), 400, 'INVALIDJOBSTATE');
    oneError(await api(sim.url, token, 'PATCH', `${JOBS}/${other.body.id}`, '{'),
      400, 'JSON_PARSER_ERROR');

    const list = await api(sim.url, token, 'GET', JOBS);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.done, true);
    assert.equal(list.body.nextRecordsUrl, null);
    const listed = list.body.records.find((j) => j.id === id);
    assert.equal(listed.state, 'Aborted');
    assert.equal(listed.jobType, 'V2Query');
    assert.ok(list.body.records.some((j) => j.id === other.body.id));

    const del = await api(sim.url, token, 'DELETE', `${JOBS}/${id}`);
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    oneError(await api(sim.url, token, 'GET', `${JOBS}/${id}`), 404, 'NOT_FOUND');
    oneError(await api(sim.url, token, 'DELETE', `${JOBS}/${id}`), 404, 'NOT_FOUND');
    oneError(await results(sim, token, id), 404, 'NOT_FOUND');
    // jsforce sends this after a job that was never created.
    oneError(await api(sim.url, token, 'DELETE', `${JOBS}/undefined`), 404, 'NOT_FOUND');
    const after = await api(sim.url, token, 'GET', JOBS);
    assert.ok(!after.body.records.some((j) => j.id === id));
    oneError(await api(sim.url, token, 'PUT', `${JOBS}/${other.body.id}`, {}),
      405, 'METHOD_NOT_ALLOWED');
  });

  test('rejected queries and settings', async () => {
    let e = oneError(await createJob(sim, token, 'SELECT Id, Nope__c FROM Contact'),
      400, 'INVALID_FIELD');
    assert.match(e.message, /ERROR at Row:1:Column:\d+/);
    assert.match(e.message, /Nope__c/);
    oneError(await createJob(sim, token, 'SELECT Id FROM Contact WHERE'), 400, 'MALFORMED_QUERY');
    oneError(await createJob(sim, token, 'SELECT Id FROM Nope'), 400, 'INVALID_TYPE');
    e = oneError(await createJob(sim, token, 'SELECT COUNT() FROM Contact'), 400, 'API_ERROR');
    assert.match(e.message, /COUNT\(\)/);
    e = oneError(await createJob(sim, token, 'SELECT Id FROM Contact LIMIT 5 OFFSET 5'),
      400, 'API_ERROR');
    assert.match(e.message, /OFFSET/);
    oneError(await createJob(sim, token, 'SELECT Id, MailingAddress FROM Contact'),
      400, 'API_ERROR');
    oneError(await createJob(sim, token, 'SELECT Id, (SELECT Id FROM Contacts) FROM Account'),
      400, 'MALFORMED_QUERY');

    oneError(await createJob(sim, token, { operation: 'insert', query: 'SELECT Id FROM Contact' }),
      400, 'INVALIDJOB');
    oneError(await createJob(sim, token, { query: 'SELECT Id FROM Contact' }), 400, 'INVALIDJOB');
    oneError(await createJob(sim, token, { operation: 'query' }), 400, 'INVALIDJOB');
    oneError(await createJob(sim, token, { operation: 'query', query: 'SELECT Id FROM Contact',
      contentType: 'JSON' }), 400, 'INVALIDJOB');
    oneError(await createJob(sim, token, { operation: 'query', query: 'SELECT Id FROM Contact',
      columnDelimiter: 'COLON' }), 400, 'INVALIDJOB');
    oneError(await createJob(sim, token, { operation: 'query', query: 'SELECT Id FROM Contact',
      lineEnding: 'CR' }), 400, 'INVALIDJOB');

    oneError(await createJob(sim, token, { operation: 'query', query: 7 }), 400, 'JSON_PARSER_ERROR');
    oneError(await api(sim.url, token, 'POST', JOBS, '{"operation":'), 400, 'JSON_PARSER_ERROR');
    oneError(await api(sim.url, token, 'POST', JOBS, '[1]'), 400, 'JSON_PARSER_ERROR');

    // Keys jsforce leaves out may also come as null.
    const ok = await createJob(sim, token, { operation: 'queryAll', query: 'SELECT Id FROM Contact',
      columnDelimiter: null, lineEnding: null });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.operation, 'queryAll');
  });

  test('results come from the snapshot taken at creation', async () => {
    const created = await createJob(sim, token, 'SELECT Id, LastName FROM Contact');
    const later = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`, { LastName: 'Later' });
    assert.equal(later.status, 201, later.text);
    await waitDone(sim, token, created.body.id);
    const rows = parseCsv((await results(sim, token, created.body.id)).text);
    assert.ok(!rows.some((r) => r[0] === later.body.id));
    assert.ok(rows.some((r) => r[0] === tricky));
  });

  test('queryAll includes deleted records', async () => {
    const soql = `SELECT Id, IsDeleted FROM Contact WHERE Id = '${tricky}'`;
    assert.equal((await api(sim.url, token, 'DELETE', `${V}/sobjects/Contact/${tricky}`)).status, 204);
    const live = await runJob(sim, token, soql);
    assert.equal(live.rows.length, 1);
    const all = await runJob(sim, token, soql, { operation: 'queryAll' });
    assert.deepEqual(all.rows, [['Id', 'IsDeleted'], [tricky, 'true']]);
  });

  test('resource list names the query jobs', async () => {
    const res = await api(sim.url, token, 'GET', V);
    assert.equal(res.body.jobs, `${V}/jobs/query`);
  });
});

describe('allowance and faults', () => {
  let sim;
  let token;

  before(async () => {
    sim = await startSim(['--generate', 'contacts=20', '--api-limit', '8']);
    token = (await clientCredentials(sim.url)).access_token;
  });

  after(async () => { await sim.stop(); });

  test('bulk-fail ends jobs Failed, and every call counts', async () => {
    const put = (body) => fetch(`${sim.url}/sim/bulk-faults`, { method: 'PUT', body });
    let res = await put('{"bulk-fail": 1}');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { 'bulk-fail': 1 });
    assert.equal((await put('{"bulk-fail": 1.5}')).status, 400);
    assert.equal((await put('{"bulk-fial": 1}')).status, 400);
    assert.equal((await put('[]')).status, 400);
    res = await fetch(`${sim.url}/sim/bulk-faults`);
    assert.deepEqual(await res.json(), { 'bulk-fail': 1 });

    const created = await createJob(sim, token, 'SELECT Id FROM Contact');
    assert.equal(created.status, 200, created.text);
    assert.match(created.headers.get('sforce-limit-info'), /^api-usage=1\/8$/);
    const { info, states } = await waitDone(sim, token, created.body.id);
    assert.equal(info.state, 'Failed');
    assert.equal(states.at(-1), 'Failed');
    assert.match(info.errorMessage, /bulk-fail/);
    oneError(await results(sim, token, created.body.id), 412, 'JOB_NOT_COMPLETE');
    assert.equal((await put('{"bulk-fail": "0"}')).status, 200);

    // Use the rest of the allowance; then a new job is refused.
    let usage;
    for (;;) {
      const r = await api(sim.url, token, 'GET', `${JOBS}/${created.body.id}`);
      if (r.status === 403) {
        oneError(r, 403, 'REQUEST_LIMIT_EXCEEDED');
        break;
      }
      usage = r.headers.get('sforce-limit-info');
    }
    assert.equal(usage, 'api-usage=8/8');
    oneError(await createJob(sim, token, 'SELECT Id FROM Contact'), 403, 'REQUEST_LIMIT_EXCEEDED');
  });
});

describe('a large result', () => {
  const RECORDS = 200000;
  const PAGE = 50000;
  let sim;
  let token;

  before(async () => {
    sim = await startSim(['--generate', `contacts=${RECORDS}`]);
    token = (await clientCredentials(sim.url)).access_token;
  });

  after(async () => { await sim.stop(); });

  test('streams in pages of 50,000', async () => {
    const created = await createJob(sim, token, 'SELECT Id, FirstName, LastName, Email, Phone FROM Contact');
    await waitDone(sim, token, created.body.id);
    const started = performance.now();
    let locator = null;
    let rows = 0;
    let pages = 0;
    let bytes = 0;
    do {
      const q = `?maxRecords=${PAGE}${locator ? `&locator=${locator}` : ''}`;
      const res = await results(sim, token, created.body.id, q);
      assert.equal(res.status, 200);
      const n = Number(res.headers.get('sforce-numberofrecords'));
      assert.ok(n <= PAGE);
      rows += n;
      bytes += res.text.length;
      pages++;
      locator = res.headers.get('sforce-locator');
    } while (locator !== 'null');
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round(rows / seconds);
    console.log(`bulk results: ${rows} rows, ${pages} pages, ${bytes} characters `
      + `in ${seconds.toFixed(2)} s: ${rate} rows/s`);
    assert.equal(rows, RECORDS);
    assert.equal(pages, RECORDS / PAGE);
  });
});
