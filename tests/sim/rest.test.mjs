// SPDX-License-Identifier: MIT
// The sObject REST resources of sfsim over real HTTP: describe, record
// create/read/update/delete with Salesforce's validation errors, upsert by
// external id, and the updated/deleted replication resources.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSim, clientCredentials, api } from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/;
const MINUTE = 60000;

// Start sfsim with args and return {sim, call(method, path, body, headers)}.
async function open(args = []) {
  const sim = await startSim([
    '--custom-field', 'Contact.Ext_Id__c:string:40:extid', ...args,
  ]);
  const { access_token: token } = await clientCredentials(sim.url);
  const call = (method, path, body, headers) =>
    api(sim.url, token, method, V + path, body, headers);
  return { sim, call };
}

async function create(call, object, fields) {
  const res = await call('POST', `/sobjects/${object}`, fields);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

function iso(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function sfMs(stamp) {
  return Date.parse(stamp.replace('+0000', 'Z'));
}

// Assert a one-error REST reply and return the error.
function oneError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.ok(Array.isArray(res.body), res.text);
  assert.equal(res.body.length, 1, res.text);
  assert.equal(res.body[0].errorCode, code, res.text);
  return res.body[0];
}

describe('sObject REST resources', () => {
  let sim;
  let call;

  before(async () => {
    ({ sim, call } = await open());
  });
  after(async () => {
    await sim.stop();
  });

  describe('describe', () => {
    test('global describe lists objects', async () => {
      const res = await call('GET', '/sobjects');
      assert.equal(res.status, 200);
      assert.equal(res.body.encoding, 'UTF-8');
      assert.equal(res.body.maxBatchSize, 200);
      const contact = res.body.sobjects.find((o) => o.name === 'Contact');
      assert.ok(contact);
      assert.equal(contact.keyPrefix, '003');
      assert.equal(contact.label, 'Contact');
      assert.equal(contact.labelPlural, 'Contacts');
      assert.equal(contact.createable, true);
      assert.equal(contact.queryable, true);
      assert.equal(contact.custom, false);
      assert.equal(contact.urls.sobject, `${V}/sobjects/Contact`);
      assert.equal(contact.urls.describe, `${V}/sobjects/Contact/describe`);
      assert.equal(contact.urls.rowTemplate, `${V}/sobjects/Contact/{ID}`);
      assert.ok(res.body.sobjects.some((o) => o.name === 'Lead'));
      assert.ok(res.body.sobjects.some((o) => o.name === 'Account'));
    });

    test('basic info has recent items', async () => {
      const id = await create(call, 'Lead', { LastName: 'Recent', Company: 'R' });
      const res = await call('GET', '/sobjects/lead');
      assert.equal(res.status, 200);
      assert.equal(res.body.objectDescribe.name, 'Lead');
      assert.equal(res.body.objectDescribe.keyPrefix, '00Q');
      assert.equal(res.body.recentItems[0].Id, id);
      assert.equal(res.body.recentItems[0].Name, 'Recent');
      assert.equal(res.body.recentItems[0].attributes.type, 'Lead');
    });

    test('describe includes custom fields', async () => {
      const res = await call('GET', '/sobjects/Contact/describe');
      assert.equal(res.status, 200);
      assert.equal(res.body.name, 'Contact');
      const ext = res.body.fields.find((f) => f.name === 'Ext_Id__c');
      assert.ok(ext);
      assert.equal(ext.externalId, true);
      assert.ok(res.body.fields.some((f) => f.name === 'LastName'));
    });

    test('unknown object is not found', async () => {
      for (const [method, path] of [
        ['GET', '/sobjects/Foo'], ['GET', '/sobjects/Foo/describe'],
        ['POST', '/sobjects/Foo'], ['GET', '/sobjects/Foo/003Hn0000000001IAA'],
      ]) {
        const e = oneError(await call(method, path, method === 'POST' ? {} : undefined),
          404, 'NOT_FOUND');
        assert.equal(e.message, 'The requested resource does not exist');
      }
    });
  });

  describe('create, read, update, delete', () => {
    test('create answers 201 and the record reads back', async () => {
      const res = await call('POST', '/sobjects/Contact', {
        firstname: 'Ann', LASTNAME: 'Smith', Email: 'ann@example.com',
        MailingCity: 'Paris', MailingLatitude: 48.85, Birthdate: '1990-02-03',
      });
      assert.equal(res.status, 201);
      assert.match(res.body.id, /^003[A-Za-z0-9]{15}$/);
      assert.deepEqual(res.body, { id: res.body.id, success: true, errors: [] });
      const got = await call('GET', `/sobjects/Contact/${res.body.id}`);
      assert.equal(got.status, 200);
      const r = got.body;
      assert.deepEqual(r.attributes,
        { type: 'Contact', url: `${V}/sobjects/Contact/${res.body.id}` });
      assert.equal(r.Id, res.body.id);
      assert.equal(r.Name, 'Ann Smith');
      assert.equal(r.FirstName, 'Ann');
      assert.equal(r.IsDeleted, false);
      assert.equal(r.DoNotCall, false);
      assert.equal(r.Birthdate, '1990-02-03');
      assert.equal(r.Title, null);
      assert.match(r.CreatedDate, STAMP);
      assert.equal(r.SystemModstamp, r.CreatedDate);
      assert.match(r.OwnerId, /^005/);
      assert.equal(r.MailingAddress.city, 'Paris');
      assert.equal(r.MailingAddress.latitude, 48.85);
      assert.equal(r.MailingAddress.street, null);
      assert.equal(r.OtherAddress, null);
      assert.ok('Ext_Id__c' in r);
    });

    test('retrieve with a field list', async () => {
      const id = await create(call, 'Contact', { LastName: 'Fields', Title: 'CEO' });
      const res = await call('GET', `/sobjects/Contact/${id}?fields=title,LastName`);
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body), ['attributes', 'Title', 'LastName', 'Id']);
      assert.equal(res.body.Title, 'CEO');
      const bad = oneError(await call('GET', `/sobjects/Contact/${id}?fields=Nope`),
        400, 'INVALID_FIELD');
      assert.match(bad.message, /^No such column 'Nope' on entity 'Contact'/);
    });

    test('15-character ids are accepted', async () => {
      const id = await create(call, 'Contact', { LastName: 'Short' });
      const res = await call('GET', `/sobjects/Contact/${id.slice(0, 15)}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.Id, id);
    });

    test('missing records are not found', async () => {
      let e = oneError(await call('GET', '/sobjects/Contact/23foo'), 404, 'NOT_FOUND');
      assert.equal(e.message,
        'Provided external ID field does not exist or is not accessible: 23foo');
      e = oneError(await call('GET', '/sobjects/Contact/003Hn00000000zzIAA'), 404,
        'NOT_FOUND');
      assert.equal(e.message, 'The requested resource does not exist');
      e = oneError(await call('PATCH', '/sobjects/Contact/003Hn00000000zzIAA',
        { Title: 'x' }), 404, 'NOT_FOUND');
      e = oneError(await call('DELETE', '/sobjects/Contact/003Hn00000000zzIAA'), 404,
        'NOT_FOUND');
    });

    test('update answers 204 and changes the record', async () => {
      const id = await create(call, 'Contact', { LastName: 'Before', Title: 'T' });
      const res = await call('PATCH', `/sobjects/Contact/${id}`,
        { lastName: 'After', Title: null, DoNotCall: true });
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      const got = (await call('GET', `/sobjects/Contact/${id}`)).body;
      assert.equal(got.LastName, 'After');
      assert.equal(got.Name, 'After');
      assert.equal(got.Title, null);
      assert.equal(got.DoNotCall, true);
      assert.ok(sfMs(got.LastModifiedDate) >= sfMs(got.CreatedDate));
    });

    test('delete answers 204 and moves to the recycle bin', async () => {
      const id = await create(call, 'Contact', { LastName: 'Gone' });
      const res = await call('DELETE', `/sobjects/Contact/${id}`);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      for (const [method, body] of [['GET'], ['PATCH', { Title: 'x' }], ['DELETE']]) {
        const e = oneError(await call(method, `/sobjects/Contact/${id}`, body), 404,
          'ENTITY_IS_DELETED');
        assert.equal(e.message, 'entity is deleted');
      }
    });

    test('wrong method gets 405', async () => {
      const id = await create(call, 'Contact', { LastName: 'M' });
      let e = oneError(await call('PUT', `/sobjects/Contact/${id}`, {}), 405,
        'METHOD_NOT_ALLOWED');
      assert.equal(e.message, "HTTP Method 'PUT' not allowed. Allowed are HEAD,GET,PATCH,DELETE");
      e = oneError(await call('DELETE', '/sobjects'), 405, 'METHOD_NOT_ALLOWED');
      e = oneError(await call('PATCH', '/sobjects/Contact', {}), 405, 'METHOD_NOT_ALLOWED');
    });
  });

  describe('validation errors', () => {
    const cases = [
      ['required field', 'Contact', { FirstName: 'A' }, 'REQUIRED_FIELD_MISSING',
        'Required fields are missing: [LastName]', ['LastName']],
      ['required fields of a Lead', 'Lead', {}, 'REQUIRED_FIELD_MISSING',
        'Required fields are missing: [LastName, Company]', ['LastName', 'Company']],
      ['unknown field', 'Contact', { LastName: 'A', Foo: 1 }, 'INVALID_FIELD',
        "No such column 'Foo' on sobject of type Contact", undefined],
      ['read-only field', 'Contact', { LastName: 'A', Name: 'B' },
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        'Unable to create/update fields: Name. Please check the security settings '
        + 'of this field and verify that it is read/write for your profile or '
        + 'permission set.', ['Name']],
      ['Id on create', 'Contact', { LastName: 'A', Id: '003Hn0000000001IAA' },
        'INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']],
      ['text too long', 'Contact', { LastName: 'x'.repeat(81) }, 'STRING_TOO_LONG',
        `Last Name: data value too large: ${'x'.repeat(81)} (max length=80)`, ['LastName']],
      ['bad email', 'Contact', { LastName: 'A', Email: 'foo' }, 'INVALID_EMAIL_ADDRESS',
        'Email: invalid email address: foo', ['Email']],
      ['restricted picklist', 'Contact', { LastName: 'A', CleanStatus: 'Foo' },
        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        'Clean Status: bad value for restricted picklist field: Foo', ['CleanStatus']],
      ['bad date', 'Contact', { LastName: 'A', Birthdate: '2024-13-01' },
        'JSON_PARSER_ERROR',
        'Cannot deserialize instance of date from VALUE_STRING value 2024-13-01 or '
        + 'request may be missing a required field', undefined],
      ['bad boolean', 'Contact', { LastName: 'A', DoNotCall: 'maybe' },
        'JSON_PARSER_ERROR',
        'Cannot deserialize instance of boolean from VALUE_STRING value maybe or '
        + 'request may be missing a required field', undefined],
      ['bad number', 'Lead', { LastName: 'A', Company: 'C', NumberOfEmployees: 'ten' },
        'JSON_PARSER_ERROR',
        'Cannot deserialize instance of int from VALUE_STRING value ten or '
        + 'request may be missing a required field', undefined],
      ['malformed reference', 'Contact', { LastName: 'A', AccountId: 'abc' },
        'MALFORMED_ID', 'Account ID: id value of incorrect type: abc', ['AccountId']],
      ['missing reference', 'Contact', { LastName: 'A', AccountId: '001Hn00000000zzIAA' },
        'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['AccountId']],
    ];
    for (const [name, object, body, code, message, fields] of cases) {
      test(name, async () => {
        const e = oneError(await call('POST', `/sobjects/${object}`, body), 400, code);
        assert.equal(e.message, message);
        assert.deepEqual(e.fields, fields);
      });
    }

    test('unrestricted picklists and string numbers are accepted', async () => {
      const id = await create(call, 'Lead', {
        LastName: 'P', Company: 'C', LeadSource: 'Trade Show', NumberOfEmployees: '12',
        AnnualRevenue: '1500.5', Title: 42,
      });
      const r = (await call('GET', `/sobjects/Lead/${id}`)).body;
      assert.equal(r.LeadSource, 'Trade Show');
      assert.equal(r.NumberOfEmployees, 12);
      assert.equal(r.AnnualRevenue, 1500.5);
      assert.equal(r.Title, '42');
      assert.equal(r.Status, 'Open - Not Contacted');
      assert.equal(r.IsConverted, false);
    });

    test('reference to a record of another object', async () => {
      const contact = await create(call, 'Contact', { LastName: 'Ref' });
      const e = oneError(await call('POST', '/sobjects/Contact',
        { LastName: 'A', AccountId: contact }), 400, 'INVALID_CROSS_REFERENCE_KEY');
      assert.deepEqual(e.fields, ['AccountId']);
      const account = await create(call, 'Account', { Name: 'Acme' });
      await create(call, 'Contact', { LastName: 'A', AccountId: account.slice(0, 15) });
    });

    test('required field cleared on update', async () => {
      const id = await create(call, 'Contact', { LastName: 'Keep' });
      const e = oneError(await call('PATCH', `/sobjects/Contact/${id}`, { LastName: null }),
        400, 'REQUIRED_FIELD_MISSING');
      assert.deepEqual(e.fields, ['LastName']);
      assert.equal((await call('GET', `/sobjects/Contact/${id}`)).body.LastName, 'Keep');
    });

    test('bad JSON bodies are parser errors', async () => {
      let e = oneError(await call('POST', '/sobjects/Contact', '{"LastName": '), 400,
        'JSON_PARSER_ERROR');
      assert.ok(e.message.length > 0);
      e = oneError(await call('POST', '/sobjects/Contact', ''), 400, 'JSON_PARSER_ERROR');
      e = oneError(await call('POST', '/sobjects/Contact', [{ LastName: 'A' }]), 400,
        'JSON_PARSER_ERROR');
      assert.match(e.message, /Cannot deserialize instance of Contact from START_ARRAY/);
      const id = await create(call, 'Contact', { LastName: 'Body' });
      e = oneError(await call('PATCH', `/sobjects/Contact/${id}`, '[1]'), 400,
        'JSON_PARSER_ERROR');
      e = oneError(await call('PATCH', `/sobjects/Contact/${id}`, 'nope'), 400,
        'JSON_PARSER_ERROR');
    });

    test('converted lead cannot be updated', async () => {
      const id = await create(call, 'Lead', { LastName: 'Conv', Company: 'C' });
      const conv = await fetch(`${sim.url}/sim/leads/${id}/convert`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
      });
      assert.equal(conv.status, 200, await conv.text());
      const e = oneError(await call('PATCH', `/sobjects/Lead/${id}`, { Title: 'x' }), 400,
        'CANNOT_UPDATE_CONVERTED_LEAD');
      assert.equal(e.message, 'cannot reference converted lead');
      assert.equal((await call('GET', `/sobjects/Lead/${id}`)).body.IsConverted, true);
    });

    test('lock fault fails writes', async () => {
      const id = await create(call, 'Contact', { LastName: 'Locked' });
      const setFault = (rate) => fetch(`${sim.url}/sim/faults`, {
        method: 'PUT', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lock: rate }),
      });
      assert.equal((await setFault(1)).status, 200);
      try {
        let e = oneError(await call('PATCH', `/sobjects/Contact/${id}`, { Title: 'x' }),
          400, 'UNABLE_TO_LOCK_ROW');
        assert.equal(e.message,
          `unable to obtain exclusive access to this record or 1 records: ${id}`);
        e = oneError(await call('POST', '/sobjects/Contact', { LastName: 'N' }), 400,
          'UNABLE_TO_LOCK_ROW');
        e = oneError(await call('DELETE', `/sobjects/Contact/${id}`), 400,
          'UNABLE_TO_LOCK_ROW');
      } finally {
        assert.equal((await setFault(0)).status, 200);
      }
      const r = (await call('GET', `/sobjects/Contact/${id}`)).body;
      assert.equal(r.Title, null);
      assert.equal(r.IsDeleted, false);
    });
  });

  describe('upsert by external id', () => {
    test('creates with 201 then updates with 200', async () => {
      let res = await call('PATCH', '/sobjects/Contact/Ext_Id__c/EXT-1', { LastName: 'Up' });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body,
        { id: res.body.id, success: true, errors: [], created: true });
      const id = res.body.id;
      res = await call('PATCH', '/sobjects/Contact/ext_id__c/ext-1', { Title: 'VP' });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { id, success: true, errors: [], created: false });
      const r = (await call('GET', `/sobjects/Contact/${id}`)).body;
      assert.equal(r.Ext_Id__c, 'EXT-1');
      assert.equal(r.Title, 'VP');
      assert.equal(r.LastName, 'Up');
    });

    test('value with a space and the key in the body', async () => {
      let res = await call('PATCH', '/sobjects/Contact/Ext_Id__c/a%20b',
        { LastName: 'Space', Ext_Id__c: 'a b' });
      assert.equal(res.status, 201, res.text);
      const got = await call('GET', '/sobjects/Contact/Ext_Id__c/a%20b');
      assert.equal(got.status, 200);
      assert.equal(got.body.Id, res.body.id);
      res = await call('PATCH', '/sobjects/Contact/Ext_Id__c/a%20b', { Ext_Id__c: 'other' });
      oneError(res, 400, 'INVALID_FIELD');
    });

    test('several matches answer 300 with their URLs', async () => {
      const a = await create(call, 'Contact', { LastName: 'D1', Email: 'dup@example.com' });
      const b = await create(call, 'Contact', { LastName: 'D2', Email: 'DUP@example.com' });
      const res = await call('PATCH', '/sobjects/Contact/Email/dup@example.com',
        { Title: 'x' });
      assert.equal(res.status, 300, res.text);
      assert.deepEqual(res.body.sort(),
        [`${V}/sobjects/Contact/${a}`, `${V}/sobjects/Contact/${b}`].sort());
      const got = await call('GET', '/sobjects/Contact/Email/dup@example.com');
      assert.equal(got.status, 300);
    });

    test('Email is an idLookup key', async () => {
      const res = await call('PATCH', '/sobjects/Lead/Email/new.lead@example.com',
        { LastName: 'L', Company: 'C' });
      assert.equal(res.status, 201, res.text);
      const r = (await call('GET', `/sobjects/Lead/${res.body.id}`)).body;
      assert.equal(r.Email, 'new.lead@example.com');
    });

    test('a field that is no external id is not found', async () => {
      const e = oneError(await call('PATCH', '/sobjects/Contact/Title/x', { LastName: 'A' }),
        404, 'NOT_FOUND');
      assert.equal(e.message,
        'Provided external ID field does not exist or is not accessible: Title');
      oneError(await call('GET', '/sobjects/Contact/Bogus__c/x'), 404, 'NOT_FOUND');
    });

    test('a raw slash in the value is not found', async () => {
      const res = await call('PATCH', '/sobjects/Contact/Ext_Id__c/a/b', { LastName: 'S' });
      oneError(res, 404, 'NOT_FOUND');
      const miss = await call('GET', '/sobjects/Contact/Ext_Id__c/a');
      assert.equal(miss.status, 404);
    });

    test('updateOnly prevents inserts', async () => {
      oneError(await call('PATCH', '/sobjects/Contact/Ext_Id__c/NOPE-1?updateOnly=true',
        { LastName: 'No' }), 404, 'NOT_FOUND');
      oneError(await call('GET', '/sobjects/Contact/Ext_Id__c/NOPE-1'), 404, 'NOT_FOUND');
      await call('PATCH', '/sobjects/Contact/Ext_Id__c/YES-1', { LastName: 'Yes' });
      const res = await call('PATCH', '/sobjects/Contact/Ext_Id__c/YES-1?updateOnly=true',
        { Title: 'x' });
      assert.equal(res.status, 200);
    });

    test('upsert errors are validation errors', async () => {
      const e = oneError(await call('PATCH', '/sobjects/Contact/Ext_Id__c/V-1', {}), 400,
        'REQUIRED_FIELD_MISSING');
      assert.deepEqual(e.fields, ['LastName']);
      oneError(await call('PATCH', '/sobjects/Contact/Email/not-an-email', { LastName: 'E' }),
        400, 'INVALID_EMAIL_ADDRESS');
      oneError(await call('PATCH', '/sobjects/Contact/Ext_Id__c/V-1', '[]'), 400,
        'JSON_PARSER_ERROR');
    });

    test('POST on Id inserts and PATCH on Id updates', async () => {
      let res = await call('POST', '/sobjects/Contact/Id', { LastName: 'ById' });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.created, true);
      const id = res.body.id;
      res = await call('PATCH', `/sobjects/Contact/Id/${id}`, { Title: 'T' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.created, false);
      oneError(await call('PATCH', '/sobjects/Contact/Id/003Hn00000000zzIAA',
        { Title: 'T' }), 404, 'NOT_FOUND');
    });

    test('delete by external id', async () => {
      const id = await create(call, 'Contact', { LastName: 'X', Ext_Id__c: 'DEL-1' });
      const res = await call('DELETE', '/sobjects/Contact/Ext_Id__c/DEL-1');
      assert.equal(res.status, 204);
      oneError(await call('GET', `/sobjects/Contact/${id}`), 404, 'ENTITY_IS_DELETED');
    });
  });

  describe('updated and deleted', () => {
    test('windows list written and deleted records', async () => {
      const liveId = await create(call, 'Account', { Name: 'Kept' });
      const deletedId = await create(call, 'Account', { Name: 'Gone' });
      assert.equal((await call('DELETE', `/sobjects/Account/${deletedId}`)).status, 204);
      const now = Date.now();
      const q = `?start=${encodeURIComponent(iso(now - 3600000))}`
        + `&end=${encodeURIComponent(iso(now + 3600000))}`;
      let res = await call('GET', `/sobjects/Account/updated${q}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.ids.includes(liveId));
      assert.ok(!res.body.ids.includes(deletedId));
      assert.match(res.body.latestDateCovered, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000\+0000$/);
      assert.ok(sfMs(res.body.latestDateCovered) <= now);
      assert.ok(sfMs(res.body.latestDateCovered) > now - 2 * MINUTE);
      res = await call('GET', `/sobjects/Account/deleted${q}`);
      assert.equal(res.status, 200, res.text);
      const item = res.body.deletedRecords.find((d) => d.id === deletedId);
      assert.ok(item);
      assert.match(item.deletedDate, STAMP);
      assert.ok(!res.body.deletedRecords.some((d) => d.id === liveId));
      assert.match(res.body.earliestDateAvailable, STAMP);
      assert.ok(sfMs(res.body.earliestDateAvailable) <= now - 29 * 86400000);
      assert.match(res.body.latestDateCovered, STAMP);
    });

    test('a window before the writes is empty', async () => {
      const id = await create(call, 'Account', { Name: 'Later' });
      const now = Date.now();
      const res = await call('GET', '/sobjects/Account/updated'
        + `?start=${encodeURIComponent(iso(now - 7200000))}`
        + `&end=${encodeURIComponent(iso(now - 3600000))}`);
      assert.equal(res.status, 200);
      assert.ok(!res.body.ids.includes(id));
      assert.equal(sfMs(res.body.latestDateCovered), Math.floor((now - 3600000) / MINUTE) * MINUTE);
    });

    test('start is truncated to the minute', async () => {
      const id = await create(call, 'Account', { Name: 'Minute' });
      const stamp = sfMs((await call('GET', `/sobjects/Account/${id}`)).body.SystemModstamp);
      // A start 59 seconds into the record's minute still covers it.
      const start = Math.floor(stamp / MINUTE) * MINUTE + 59000;
      const res = await call('GET', `/sobjects/Account/updated?start=${iso(start)}`
        + `&end=${encodeURIComponent(iso(stamp + 3600000))}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.ids.includes(id));
    });

    test('bad windows are rejected', async () => {
      const now = Date.now();
      let e = oneError(await call('GET', '/sobjects/Contact/updated'
        + `?start=${encodeURIComponent(iso(now))}&end=${encodeURIComponent(iso(now - 3600000))}`),
        400, 'INVALID_REPLICATION_DATE');
      e = oneError(await call('GET', '/sobjects/Contact/deleted'
        + `?start=${encodeURIComponent(iso(now - 31 * 86400000))}`
        + `&end=${encodeURIComponent(iso(now))}`), 400, 'INVALID_REPLICATION_DATE');
      assert.match(e.message, /30 days/);
      const minute = Math.floor(now / MINUTE) * MINUTE;
      e = oneError(await call('GET', '/sobjects/Contact/updated'
        + `?start=${encodeURIComponent(iso(minute + 1000))}`
        + `&end=${encodeURIComponent(iso(minute + 50000))}`), 400, 'INVALID_REPLICATION_DATE');
      oneError(await call('GET', '/sobjects/Contact/updated?start=yesterday&end=today'), 400,
        'INVALID_REPLICATION_DATE');
      oneError(await call('GET', '/sobjects/Contact/updated'), 400, 'MISSING_ARGUMENT');
    });
  });
});

describe('sfsim options that change REST replies', () => {
  test('--upsert-update-status 204 answers updates without a body', async () => {
    const { sim, call } = await open(['--upsert-update-status', '204']);
    try {
      let res = await call('PATCH', '/sobjects/Contact/Ext_Id__c/O-1', { LastName: 'Old' });
      assert.equal(res.status, 201);
      res = await call('PATCH', '/sobjects/Contact/Ext_Id__c/O-1', { Title: 'T' });
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
    } finally {
      await sim.stop();
    }
  });

  test('--fault late-commit holds back latestDateCovered', async () => {
    const { sim, call } = await open(['--fault', 'late-commit=180']);
    try {
      const id = await create(call, 'Contact', { LastName: 'Late' });
      const r = (await call('GET', `/sobjects/Contact/${id}`)).body;
      const now = Date.now();
      assert.ok(now - sfMs(r.SystemModstamp) >= 179000, r.SystemModstamp);
      const res = await call('GET', '/sobjects/Contact/updated'
        + `?start=${encodeURIComponent(iso(now - 3600000))}`
        + `&end=${encodeURIComponent(iso(now + 3600000))}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.ids.includes(id));
      assert.ok(sfMs(res.body.latestDateCovered) <= now - 180000);
    } finally {
      await sim.stop();
    }
  });
});
