// SPDX-License-Identifier: MIT
// sObject Collections (/composite/sobjects) of sfsim over real HTTP: create,
// update, upsert, delete and retrieve, per-record errors with statusCode,
// allOrNone rollback and the 200-record cap.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSim, clientCredentials, api } from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';
const ROLLED_BACK = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the '
    + 'request was using AllOrNone header',
  fields: [],
};

const contact = (fields) => ({ attributes: { type: 'Contact' }, ...fields });

function iso(ms) {
  return new Date(ms).toISOString();
}

describe('sObject Collections', () => {
  let sim;
  let call;

  before(async () => {
    sim = await startSim(['--custom-field', 'Contact.Ext_Id__c:string:40:extid',
      '--custom-field', 'Contact.Badge__c:int:extid']);
    const { access_token: token } = await clientCredentials(sim.url);
    call = (method, path, body) => api(sim.url, token, method, V + path, body);
  });
  after(async () => {
    await sim.stop();
  });

  // Ids of the Contacts written in the last hour, through getUpdated.
  async function recentContacts() {
    const now = Date.now();
    const res = await call('GET', `/sobjects/Contact/updated?start=${encodeURIComponent(iso(now - 3600000))}`
      + `&end=${encodeURIComponent(iso(now + 3600000))}`);
    assert.equal(res.status, 200, res.text);
    return res.body.ids;
  }

  async function getContact(id) {
    return call('GET', `/sobjects/Contact/${id}`);
  }

  async function setLockFault(rate) {
    const res = await fetch(`${sim.url}/sim/faults`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lock: rate }),
    });
    assert.equal(res.status, 200);
  }

  describe('create', () => {
    test('mixed types are created in order', async () => {
      const res = await call('POST', '/composite/sobjects', {
        allOrNone: false,
        records: [
          { attributes: { type: 'Account' }, Name: 'Acme' },
          contact({ LastName: 'Johnson', FirstName: 'Erica' }),
          { attributes: { type: 'lead' }, LastName: 'L', Company: 'C' },
        ],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.length, 3);
      assert.match(res.body[0].id, /^001/);
      assert.match(res.body[1].id, /^003/);
      assert.match(res.body[2].id, /^00Q/);
      for (const r of res.body) assert.deepEqual(r, { id: r.id, success: true, errors: [] });
      const got = await getContact(res.body[1].id);
      assert.equal(got.body.Name, 'Erica Johnson');
    });

    test('failed records carry statusCode errors and no id', async () => {
      const res = await call('POST', '/composite/sobjects', {
        records: [
          contact({ LastName: 'Good' }),
          contact({ FirstName: 'NoLast' }),
          contact({ LastName: 'A', Email: 'bad' }),
        ],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body[0].success, true);
      assert.deepEqual(res.body[1], {
        success: false,
        errors: [{
          statusCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [LastName]',
          fields: ['LastName'],
        }],
      });
      assert.equal(res.body[2].errors[0].statusCode, 'INVALID_EMAIL_ADDRESS');
      assert.deepEqual(res.body[2].errors[0].fields, ['Email']);
      assert.ok(!('id' in res.body[2]));
      assert.equal((await getContact(res.body[0].id)).status, 200);
    });

    test('allOrNone rolls every record back', async () => {
      const before = await recentContacts();
      const res = await call('POST', '/composite/sobjects', {
        allOrNone: true,
        records: [
          contact({ LastName: 'Rolled1' }),
          contact({ LastName: 'x'.repeat(81) }),
          contact({ LastName: 'Rolled2' }),
        ],
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body[0], { success: false, errors: [ROLLED_BACK] });
      assert.equal(res.body[1].errors[0].statusCode, 'STRING_TOO_LONG');
      assert.deepEqual(res.body[2], { success: false, errors: [ROLLED_BACK] });
      assert.deepEqual(await recentContacts(), before);
    });

    test('allOrNone writes everything when all are valid', async () => {
      const res = await call('POST', '/composite/sobjects', {
        allOrNone: true,
        records: [contact({ LastName: 'All1' }), contact({ LastName: 'All2' })],
      });
      assert.ok(res.body.every((r) => r.success));
      const ids = await recentContacts();
      assert.ok(ids.includes(res.body[0].id));
      assert.ok(ids.includes(res.body[1].id));
    });

    test('200 records are accepted and 201 rejected', async () => {
      const make = (n) => Array.from({ length: n }, (_, i) => contact({ LastName: `Bulk${i}` }));
      let res = await call('POST', '/composite/sobjects', { records: make(200) });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.length, 200);
      assert.ok(res.body.every((r) => r.success));
      assert.equal(new Set(res.body.map((r) => r.id)).size, 200);
      const before = await recentContacts();
      res = await call('POST', '/composite/sobjects', { records: make(201) });
      assert.equal(res.status, 400);
      assert.equal(res.body[0].errorCode, 'EXCEEDED_ID_LIMIT');
      assert.match(res.body[0].message, /record limit reached/);
      assert.deepEqual(await recentContacts(), before);
    });

    test('missing or unknown types fail their record', async () => {
      const res = await call('POST', '/composite/sobjects', {
        records: [{ LastName: 'NoType' }, { attributes: { type: 'Foo' }, Name: 'x' },
          contact({ LastName: 'Typed' })],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body[0].success, false);
      assert.equal(res.body[0].errors[0].statusCode, 'INVALID_TYPE');
      assert.equal(res.body[0].errors[0].message, 'Must specify an object type');
      assert.equal(res.body[1].errors[0].statusCode, 'INVALID_TYPE');
      assert.match(res.body[1].errors[0].message, /'Foo'/);
      assert.equal(res.body[2].success, true);
    });

    test('an unknown field fails the whole request', async () => {
      const before = await recentContacts();
      const res = await call('POST', '/composite/sobjects', {
        records: [contact({ LastName: 'Fine' }), contact({ LastName: 'B', Foo__c: 1 })],
      });
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body, [{
        message: "No such column 'Foo__c' on sobject of type Contact",
        errorCode: 'INVALID_FIELD',
      }]);
      assert.deepEqual(await recentContacts(), before);
    });

    test('an Id is rejected on create', async () => {
      const res = await call('POST', '/composite/sobjects', {
        records: [contact({ LastName: 'A', Id: '003Hn0000000001IAA' })],
      });
      assert.equal(res.body[0].errors[0].statusCode, 'INVALID_FIELD_FOR_INSERT_UPDATE');
    });

    test('malformed bodies are 400 parser errors', async () => {
      for (const body of ['{"records": [', '', '[]', '{"records": {}}', '{"records": [1]}',
        '{"records": [[]]}']) {
        const res = await call('POST', '/composite/sobjects', body);
        assert.equal(res.status, 400, `${body}: ${res.text}`);
        assert.equal(res.body[0].errorCode, 'JSON_PARSER_ERROR', body);
      }
    });

    test('the lock fault fails records', async () => {
      await setLockFault(1);
      try {
        let res = await call('POST', '/composite/sobjects', {
          records: [contact({ LastName: 'L1' }), contact({ LastName: 'L2' })],
        });
        assert.equal(res.status, 200);
        assert.ok(res.body.every((r) => r.errors[0].statusCode === 'UNABLE_TO_LOCK_ROW'));
        res = await call('POST', '/composite/sobjects', {
          allOrNone: true,
          records: [contact({ LastName: 'L1' }), contact({ LastName: 'L2' })],
        });
        assert.equal(res.body[0].errors[0].statusCode, 'UNABLE_TO_LOCK_ROW');
        assert.deepEqual(res.body[1], { success: false, errors: [ROLLED_BACK] });
      } finally {
        await setLockFault(0);
      }
    });
  });

  describe('update', () => {
    async function twoContacts() {
      const res = await call('POST', '/composite/sobjects', {
        records: [contact({ LastName: 'U1' }), contact({ LastName: 'U2' })],
      });
      return res.body.map((r) => r.id);
    }

    test('records are updated by id or Id', async () => {
      const [a, b] = await twoContacts();
      const res = await call('PATCH', '/composite/sobjects', {
        allOrNone: false,
        records: [contact({ id: a, Title: 'T1' }), contact({ Id: b, Title: 'T2' })],
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, [
        { id: a, success: true, errors: [] }, { id: b, success: true, errors: [] }]);
      assert.equal((await getContact(a)).body.Title, 'T1');
      assert.equal((await getContact(b)).body.Title, 'T2');
    });

    test('bad, missing and deleted ids fail their record', async () => {
      const [a, b] = await twoContacts();
      await call('DELETE', `/sobjects/Contact/${b}`);
      const account = (await call('POST', '/sobjects/Account', { Name: 'X' })).body.id;
      const res = await call('PATCH', '/composite/sobjects', {
        records: [
          contact({ Title: 'no id' }),
          contact({ id: account, Title: 'x' }),
          contact({ id: '003Hn00000000zzIAA', Title: 'x' }),
          contact({ id: b, Title: 'x' }),
          contact({ id: a, Title: 'ok' }),
        ],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body[0].errors[0].statusCode, 'MISSING_ARGUMENT');
      assert.deepEqual(res.body[1].errors[0], {
        statusCode: 'MALFORMED_ID',
        message: `Contact ID: id value of incorrect type: ${account}`,
        fields: ['Id'],
      });
      assert.equal(res.body[2].errors[0].statusCode, 'INVALID_CROSS_REFERENCE_KEY');
      assert.equal(res.body[3].errors[0].statusCode, 'ENTITY_IS_DELETED');
      assert.deepEqual(res.body[4], { id: a, success: true, errors: [] });
    });

    test('allOrNone leaves every record unchanged', async () => {
      const [a, b] = await twoContacts();
      const res = await call('PATCH', '/composite/sobjects', {
        allOrNone: true,
        records: [contact({ id: a, Title: 'New' }), contact({ id: b, LastName: null })],
      });
      assert.deepEqual(res.body[0], { success: false, errors: [ROLLED_BACK] });
      assert.equal(res.body[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
      assert.equal((await getContact(a)).body.Title, null);
      assert.equal((await getContact(b)).body.LastName, 'U2');
    });

    test('converted leads cannot be updated', async () => {
      const lead = (await call('POST', '/sobjects/Lead', { LastName: 'C', Company: 'C' })).body.id;
      await fetch(`${sim.url}/sim/leads/${lead}/convert`, { method: 'POST' });
      const res = await call('PATCH', '/composite/sobjects', {
        records: [{ attributes: { type: 'Lead' }, id: lead, Title: 'x' }],
      });
      assert.equal(res.body[0].errors[0].statusCode, 'CANNOT_UPDATE_CONVERTED_LEAD');
    });
  });

  describe('delete', () => {
    test('ids are deleted in order with per-id errors', async () => {
      const created = await call('POST', '/composite/sobjects', {
        records: [contact({ LastName: 'D1' }), contact({ LastName: 'D2' })],
      });
      const [a, b] = created.body.map((r) => r.id);
      await call('DELETE', `/sobjects/Contact/${b}`);
      const res = await call('DELETE',
        `/composite/sobjects?ids=${a},001RM000003oLrB000,003Hn00000000zzIAA,${b}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body[0], { id: a, success: true, errors: [] });
      assert.deepEqual(res.body[1], {
        success: false,
        errors: [{ statusCode: 'MALFORMED_ID', message: 'malformed id 001RM000003oLrB000', fields: [] }],
      });
      assert.equal(res.body[2].errors[0].statusCode, 'INVALID_CROSS_REFERENCE_KEY');
      assert.equal(res.body[3].errors[0].statusCode, 'ENTITY_IS_DELETED');
      assert.equal((await getContact(a)).body[0].errorCode, 'ENTITY_IS_DELETED');
    });

    test('allOrNone keeps every record', async () => {
      const created = await call('POST', '/composite/sobjects', {
        records: [contact({ LastName: 'K1' })],
      });
      const a = created.body[0].id;
      const res = await call('DELETE', `/composite/sobjects?ids=${a},bad&allOrNone=true`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body[0], { success: false, errors: [ROLLED_BACK] });
      assert.equal(res.body[1].errors[0].statusCode, 'MALFORMED_ID');
      assert.equal((await getContact(a)).status, 200);
    });

    test('allOrNone with the lock fault keeps every record', async () => {
      const created = await call('POST', '/composite/sobjects', {
        records: [contact({ LastName: 'F1' }), contact({ LastName: 'F2' })],
      });
      const ids = created.body.map((r) => r.id);
      await setLockFault(1);
      try {
        const res = await call('DELETE', `/composite/sobjects?ids=${ids}&allOrNone=true`);
        assert.equal(res.body[0].errors[0].statusCode, 'UNABLE_TO_LOCK_ROW');
        assert.deepEqual(res.body[1], { success: false, errors: [ROLLED_BACK] });
      } finally {
        await setLockFault(0);
      }
      for (const id of ids) assert.equal((await getContact(id)).status, 200);
    });

    test('more than 200 ids or none are rejected', async () => {
      const ids = Array.from({ length: 201 }, () => '003Hn00000000zzIAA').join(',');
      let res = await call('DELETE', `/composite/sobjects?ids=${ids}`);
      assert.equal(res.status, 400);
      assert.equal(res.body[0].errorCode, 'EXCEEDED_ID_LIMIT');
      res = await call('DELETE', '/composite/sobjects');
      assert.equal(res.status, 400);
    });
  });

  describe('upsert', () => {
    test('creates and updates by external id', async () => {
      const first = await call('PATCH', '/composite/sobjects/Contact/Ext_Id__c', {
        allOrNone: false,
        records: [contact({ Ext_Id__c: 'C-1', LastName: 'One' })],
      });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body[0].created, true);
      const res = await call('PATCH', '/composite/sobjects/Contact/Ext_Id__c', {
        allOrNone: false,
        records: [
          contact({ Ext_Id__c: 'c-1', Title: 'Updated' }),
          contact({ Ext_Id__c: 'C-2', LastName: 'Two' }),
        ],
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body[0],
        { id: first.body[0].id, success: true, errors: [], created: false });
      assert.equal(res.body[1].created, true);
      assert.equal(res.body[1].success, true);
      assert.equal((await getContact(first.body[0].id)).body.Title, 'Updated');
    });

    test('Email works as the key', async () => {
      const res = await call('PATCH', '/composite/sobjects/Contact/Email', {
        records: [contact({ Email: 'bulk.up@example.com', LastName: 'E' })],
      });
      assert.equal(res.body[0].created, true);
      const again = await call('PATCH', '/composite/sobjects/Contact/Email', {
        records: [contact({ Email: 'BULK.UP@example.com', Title: 'T' })],
      });
      assert.deepEqual(again.body[0],
        { id: res.body[0].id, success: true, errors: [], created: false });
    });

    test('missing, repeated and ambiguous keys fail their record', async () => {
      await call('POST', '/composite/sobjects', {
        records: [contact({ LastName: 'M1', Ext_Id__c: 'MULTI' }),
          contact({ LastName: 'M2', Ext_Id__c: 'multi' })],
      });
      const res = await call('PATCH', '/composite/sobjects/Contact/Ext_Id__c', {
        records: [
          contact({ LastName: 'NoKey' }),
          contact({ Ext_Id__c: 'R-1', LastName: 'R' }),
          contact({ Ext_Id__c: 'r-1', LastName: 'R' }),
          contact({ Ext_Id__c: 'MULTI', Title: 'x' }),
          contact({ Ext_Id__c: 'OK-1', LastName: 'Ok' }),
        ],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body[0].errors[0].statusCode, 'MISSING_ARGUMENT');
      assert.equal(res.body[1].errors[0].statusCode, 'DUPLICATE_EXTERNAL_ID');
      assert.equal(res.body[2].errors[0].statusCode, 'DUPLICATE_EXTERNAL_ID');
      assert.equal(res.body[3].errors[0].statusCode, 'DUPLICATE_EXTERNAL_ID');
      assert.equal(res.body[4].success, true);
      assert.equal(res.body[4].created, true);
      assert.equal(res.body[0].created, false);
    });

    test('number keys match and null keys are named', async () => {
      const first = await call('PATCH', '/composite/sobjects/Contact/Badge__c', {
        records: [contact({ Badge__c: 42, LastName: 'Badge' })],
      });
      assert.equal(first.body[0].created, true, first.text);
      for (const key of [42, '42', 42.0]) {
        const again = await call('PATCH', '/composite/sobjects/Contact/Badge__c', {
          records: [contact({ Badge__c: key, Title: 'T' })],
        });
        assert.deepEqual(again.body[0],
          { id: first.body[0].id, success: true, errors: [], created: false }, String(key));
      }
      const text = await call('PATCH', '/composite/sobjects/Contact/Ext_Id__c', {
        records: [contact({ Ext_Id__c: 7, LastName: 'Seven' })],
      });
      assert.equal(text.body[0].created, true, text.text);
      const byString = await call('PATCH', '/composite/sobjects/Contact/Ext_Id__c', {
        records: [contact({ Ext_Id__c: '7', Title: 'T' })],
      });
      assert.equal(byString.body[0].id, text.body[0].id);
      const res = await call('PATCH', '/composite/sobjects/Contact/Ext_Id__c', {
        records: [contact({ Ext_Id__c: null, LastName: 'Null' }),
          contact({ Ext_Id__c: '', LastName: 'Empty' }), contact({ LastName: 'Missing' })],
      });
      assert.equal(res.body[0].errors[0].message, 'Ext_Id__c is null or empty; give the value to match records on');
      assert.equal(res.body[1].errors[0].message, res.body[0].errors[0].message);
      assert.equal(res.body[2].errors[0].message, 'Ext_Id__c not specified');
    });

    test('allOrNone rolls back inserts and updates', async () => {
      const before = await recentContacts();
      const res = await call('PATCH', '/composite/sobjects/Contact/Ext_Id__c', {
        allOrNone: true,
        records: [contact({ Ext_Id__c: 'AON-1', LastName: 'A' }),
          contact({ Ext_Id__c: 'AON-2' })],
      });
      assert.deepEqual(res.body[0], { success: false, errors: [ROLLED_BACK], created: false });
      assert.equal(res.body[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
      assert.deepEqual(await recentContacts(), before);
    });

    test('a field that is no external id is not found', async () => {
      const res = await call('PATCH', '/composite/sobjects/Contact/Title', {
        records: [contact({ Title: 'x', LastName: 'y' })],
      });
      assert.equal(res.status, 404);
      assert.equal(res.body[0].errorCode, 'NOT_FOUND');
      assert.equal((await call('PATCH', '/composite/sobjects/Nope/Id', { records: [] })).status,
        404);
    });
  });

  describe('retrieve', () => {
    let ids;

    before(async () => {
      const res = await call('POST', '/composite/sobjects', {
        records: [contact({ LastName: 'R1', Title: 'T1' }), contact({ LastName: 'R2' })],
      });
      ids = res.body.map((r) => r.id);
      await call('DELETE', `/sobjects/Contact/${ids[1]}`);
    });

    test('POST returns records in id order with nulls', async () => {
      const res = await call('POST', '/composite/sobjects/Contact', {
        ids: [ids[1], 'junk', ids[0].slice(0, 15), '003Hn00000000zzIAA'],
        fields: ['LastName', 'title'],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.length, 4);
      assert.equal(res.body[0], null);
      assert.equal(res.body[1], null);
      assert.equal(res.body[3], null);
      assert.deepEqual(res.body[2], {
        attributes: { type: 'Contact', url: `${V}/sobjects/Contact/${ids[0]}` },
        LastName: 'R1', Title: 'T1', Id: ids[0],
      });
    });

    test('GET takes ids and fields in the query', async () => {
      const res = await call('GET', `/composite/sobjects/Contact?ids=${ids[0]}&fields=Id,LastName`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body[0]), ['attributes', 'Id', 'LastName']);
    });

    test('unknown fields and too many ids are rejected', async () => {
      let res = await call('POST', '/composite/sobjects/Contact',
        { ids: [ids[0]], fields: ['Nope'] });
      assert.equal(res.status, 400);
      assert.equal(res.body[0].errorCode, 'INVALID_FIELD');
      res = await call('POST', '/composite/sobjects/Contact',
        { ids: Array(2001).fill(ids[0]), fields: ['Id'] });
      assert.equal(res.status, 400);
      assert.equal(res.body[0].errorCode, 'EXCEEDED_ID_LIMIT');
      res = await call('POST', '/composite/sobjects/Contact', { fields: ['Id'] });
      assert.equal(res.status, 400);
      res = await call('GET', '/composite/sobjects/Foo?ids=x&fields=Id');
      assert.equal(res.status, 404);
    });
  });

  test('wrong methods get 405', async () => {
    let res = await call('PUT', '/composite/sobjects', {});
    assert.equal(res.status, 405);
    assert.equal(res.body[0].errorCode, 'METHOD_NOT_ALLOWED');
    res = await call('POST', '/composite/sobjects/Contact/Ext_Id__c', { records: [] });
    assert.equal(res.status, 405);
  });
});
