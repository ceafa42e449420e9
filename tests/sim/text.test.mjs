// SPDX-License-Identifier: MIT
// What sfsim does with the text of a request. Covered here: bytes that are
// not UTF-8 or are NUL in paths, query arguments and bodies, oversized URIs
// and headers, and byte-order marks. Also case-insensitive comparison and
// ordering of letters beyond ASCII, and the wording of some errors.
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

// Send a request whose body is raw bytes.
async function raw(method, path, bytes, headers = {}) {
  const res = await fetch(sim.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: bytes,
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) };
}

async function count(object) {
  const r = await api(sim.url, token, 'GET', `${V}/query?q=SELECT+COUNT()+FROM+${object}`);
  assert.equal(r.status, 200, r.text);
  return r.body.totalSize;
}

async function createContact(fields) {
  const r = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`, fields);
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

async function lastNames(where, order = '') {
  const q = `SELECT LastName FROM Contact WHERE ${where}${order}`;
  const r = await api(sim.url, token, 'GET', `${V}/query?q=${encodeURIComponent(q)}`);
  assert.equal(r.status, 200, r.text);
  return r.body.records.map((x) => x.LastName);
}

test('invalid UTF-8 in q is MALFORMED_QUERY', async () => {
  const r = await api(sim.url, token, 'GET', `${V}/query?q=SELECT%20Id%20FROM%20Contact%FF`);
  assert.equal(r.status, 400);
  assert.equal(r.body[0].errorCode, 'MALFORMED_QUERY');
  assert.match(r.body[0].message, /not valid UTF-8/);
});

test('NUL in q is an error, not a cut query', async () => {
  const r = await api(sim.url, token, 'GET',
    `${V}/query?q=SELECT%20Id%20FROM%20Contact%20LIMIT%201%00%20garbage`);
  assert.equal(r.status, 400);
  assert.equal(r.body[0].errorCode, 'MALFORMED_QUERY');
  assert.match(r.body[0].message, /NUL/);
});

test('invalid UTF-8 path segment is NOT_FOUND', async () => {
  const r = await api(sim.url, token, 'GET', `${V}/sobjects/Contact/%FF`);
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
});

test('upsert on an invalid UTF-8 key creates nothing', async () => {
  const before = await count('Contact');
  const r = await api(sim.url, token, 'PATCH', `${V}/sobjects/Contact/Email/%FF`, { LastName: 'Ghost' });
  assert.equal(r.status, 404);
  assert.equal(r.body[0].errorCode, 'NOT_FOUND');
  assert.equal(await count('Contact'), before);
});

test('collection calls reject invalid UTF-8 ids', async () => {
  const id = await createContact({ LastName: 'Kept' });
  let r = await api(sim.url, token, 'GET', `${V}/composite/sobjects/Contact?ids=${id},%FF&fields=Id`);
  assert.equal(r.status, 400);
  assert.equal(r.body[0].errorCode, 'MALFORMED_ID');
  r = await api(sim.url, token, 'DELETE', `${V}/composite/sobjects?ids=${id},%FF`);
  assert.equal(r.status, 400);
  assert.equal(r.body[0].errorCode, 'MALFORMED_ID');
  r = await api(sim.url, token, 'GET', `${V}/sobjects/Contact/${id}`);
  assert.equal(r.status, 200, 'the valid id was not deleted');
});

test('invalid UTF-8 in fields is INVALID_FIELD', async () => {
  const id = await createContact({ LastName: 'Fields' });
  const r = await api(sim.url, token, 'GET', `${V}/sobjects/Contact/${id}?fields=Id,%FF`);
  assert.equal(r.status, 400);
  assert.equal(r.body[0].errorCode, 'INVALID_FIELD');
});

test('invalid UTF-8 in a body gets a JSON error', async () => {
  const bytes = Buffer.from([...Buffer.from('{"LastName":"'), 0xff, ...Buffer.from('"}')]);
  const r = await raw('POST', `${V}/sobjects/Contact`, bytes);
  assert.equal(r.status, 400);
  assert.ok(Array.isArray(r.body), r.text);
  assert.equal(r.body[0].errorCode, 'JSON_PARSER_ERROR');
  assert.equal(typeof r.body[0].message, 'string');
});

test('NUL in a JSON string is named as such', async () => {
  const r = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`, '{"LastName":"nul\\u0000byte"}');
  assert.equal(r.status, 400);
  assert.equal(r.body[0].errorCode, 'JSON_PARSER_ERROR');
  assert.match(r.body[0].message, /contains a NUL character/);
  assert.doesNotMatch(r.body[0].message, /JSON_ALLOW_NUL/);
});

test('byte-order mark before a body is skipped', async () => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"LastName":"Bom"}')]);
  const r = await raw('POST', `${V}/sobjects/Contact`, bytes);
  assert.equal(r.status, 201, r.text);
  const got = await api(sim.url, token, 'GET', `${V}/sobjects/Contact/${r.body.id}`);
  assert.equal(got.body.LastName, 'Bom');
});

test('text equality folds non-ASCII letters', async () => {
  await createContact({ LastName: 'Müller' });
  await createContact({ LastName: 'Σωκράτης' });
  await createContact({ LastName: 'Иванов' });
  await createContact({ LastName: 'Łukasiewicz' });
  assert.deepEqual(await lastNames("LastName = 'MÜLLER'"), ['Müller']);
  assert.deepEqual(await lastNames("LastName = 'ΣΩΚΡΆΤΗΣ'"), ['Σωκράτης']);
  assert.deepEqual(await lastNames("LastName = 'иванов'"), ['Иванов']);
  assert.deepEqual(await lastNames("LastName = 'łUKASIEWICZ'"), ['Łukasiewicz']);
  assert.deepEqual(await lastNames("LastName IN ('MÜLLER', 'x')"), ['Müller']);
  assert.deepEqual(await lastNames("LastName != 'MÜLLER' AND LastName = 'müller'"), []);
});

test('LIKE folds non-ASCII letters', async () => {
  await createContact({ LastName: 'Ärger' });
  assert.deepEqual(await lastNames("LastName LIKE 'äRG%'"), ['Ärger']);
  assert.deepEqual(await lastNames("LastName LIKE '%НОВ'"), ['Иванов']);
  assert.deepEqual(await lastNames("LastName LIKE '_RGER'"), ['Ärger']);
});

test('text order ignores the case of non-ASCII letters', async () => {
  for (const n of ['Ωb', 'ωc', 'Ωa']) await createContact({ LastName: n, Department: 'order' });
  for (const n of ['éb', 'Éc', 'éa']) await createContact({ LastName: n, Department: 'order' });
  assert.deepEqual(await lastNames("Department = 'order'", ' ORDER BY LastName'),
    ['éa', 'éb', 'Éc', 'Ωa', 'Ωb', 'ωc']);
  assert.deepEqual(await lastNames("Department = 'order' AND LastName > 'ÉB'", ' ORDER BY LastName'),
    ['Éc', 'Ωa', 'Ωb', 'ωc']);
});

test('URI longer than 16384 bytes is 414 with JSON', async () => {
  for (const size of [17000, 100000]) {
    const r = await api(sim.url, token, 'GET', `${V}/query?q=${'a'.repeat(size)}`);
    assert.equal(r.status, 414, `size ${size}`);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.equal(r.body[0].errorCode, 'URI_TOO_LONG');
  }
  const ok = await api(sim.url, token, 'GET', `${V}/query?q=SELECT+Id+FROM+Contact+LIMIT+1&x=${'a'.repeat(16000)}`);
  assert.equal(ok.status, 200);
});

test('header fields over 16 KB are 431 with JSON', async () => {
  const r = await api(sim.url, token, 'GET', `${V}/limits`, undefined, { 'x-padding': 'a'.repeat(20000) });
  assert.equal(r.status, 431);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.body[0].errorCode, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
});

test('STRING_TOO_LONG names the limit applied', async () => {
  // Industry is an unrestricted picklist of length 40, which takes 255.
  let r = await api(sim.url, token, 'POST', `${V}/sobjects/Account`, { Name: 'Long', Industry: 'x'.repeat(200) });
  assert.equal(r.status, 201, r.text);
  r = await api(sim.url, token, 'POST', `${V}/sobjects/Account`, { Name: 'Long', Industry: 'x'.repeat(256) });
  assert.equal(r.status, 400);
  assert.equal(r.body[0].errorCode, 'STRING_TOO_LONG');
  assert.match(r.body[0].message, /\(max length=255\)$/);
});

test('non-boolean allOrNone is rejected', async () => {
  const before = await count('Contact');
  let r = await api(sim.url, token, 'POST', `${V}/composite/sobjects`, {
    allOrNone: 'yes', records: [{ attributes: { type: 'Contact' }, LastName: 'Yes' }],
  });
  assert.equal(r.status, 400);
  assert.equal(r.body[0].errorCode, 'JSON_PARSER_ERROR');
  assert.match(r.body[0].message, /boolean/);
  assert.equal(await count('Contact'), before);
  const id = await createContact({ LastName: 'Stays' });
  r = await api(sim.url, token, 'DELETE', `${V}/composite/sobjects?ids=${id}&allOrNone=yes`);
  assert.equal(r.status, 400);
  assert.match(r.body[0].message, /allOrNone/);
});

test('resource list names only served resources', async () => {
  const r = await api(sim.url, token, 'GET', V);
  assert.equal(r.status, 200);
  for (const [name, url] of Object.entries(r.body)) {
    if (name === 'identity') continue;
    const res = await api(sim.url, token, 'GET', url);
    assert.notEqual(res.status, 404, `${name} at ${url}`);
  }
  assert.equal(r.body.search, undefined);
  assert.equal(r.body.recent, undefined);
  const c = await api(sim.url, token, 'GET', `${V}/composite`);
  assert.equal(c.status, 200);
  assert.deepEqual(c.body, { sobjects: `${V}/composite/sobjects` });
});

test('aggregate queries name what is unsupported', async () => {
  for (const q of ['SELECT LastName, count() FROM Contact GROUP BY LastName',
    'SELECT COUNT(Id) FROM Contact']) {
    const r = await api(sim.url, token, 'GET', `${V}/query?q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body[0].errorCode, 'MALFORMED_QUERY');
    assert.match(r.body[0].message, /aggregate functions other than a bare COUNT\(\) are not supported by sfsim/, q);
  }
});

test('authorize page without client_id says it is missing', async () => {
  const res = await fetch(`${sim.url}/services/oauth2/authorize?response_type=code&redirect_uri=${encodeURIComponent('http://127.0.0.1:1/cb')}`);
  assert.equal(res.status, 400);
  const html = await res.text();
  assert.match(html, /client identifier missing/);
});
