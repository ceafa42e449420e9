// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// jsforce 3.10.16 record writes against sfsim: single-record and sObject
// Collections create, retrieve, update and destroy, upsert by external id,
// the replication resources updated() and deleted(), and the errors of
// those calls.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  API_VERSION, BASE_PATH, DATETIME_RE, assertId, connectIntegration, jsforce,
  missingId, onWire, rejectsWithCode, soqlString, startSim, stopSim,
} from './helpers.mjs';

const EXT_ID = 'Ext_Id__c';

let sim;
let conn;
let contacts;

before(async () => {
  sim = await startSim(['--custom-field', `Contact.${EXT_ID}:string:40:extid`]);
  conn = await connectIntegration(sim);
  contacts = conn.sobject('Contact');
});

after(async () => {
  await stopSim(sim);
});

// Create one Contact through the single-record call and return its id.
async function createContact(fields) {
  const result = await contacts.create(fields);
  assert.equal(result.success, true, JSON.stringify(result));
  return result.id;
}

function countByLastName(lastName) {
  return contacts.count({ LastName: lastName });
}

describe('single records', () => {
  test('create returns 201 save result', async () => {
    const { result, wire } = await onWire(() => contacts.create(
      { LastName: 'Single-Create', Email: 'single.create@example.com' }));

    assertId(result.id, '003');
    assert.deepEqual(result, { id: result.id, success: true, errors: [] });
    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.path, e.status]),
      [['POST', `${BASE_PATH}/sobjects/Contact`, 201]]);
  });

  test('retrieve returns the record', async () => {
    const id = await createContact(
      { LastName: 'Single-Retrieve', Email: 'single.retrieve@example.com' });
    const record = await contacts.retrieve(id);

    assert.equal(record.attributes.type, 'Contact');
    assert.equal(record.attributes.url, `${BASE_PATH}/sobjects/Contact/${id}`);
    assert.equal(record.Id, id);
    assert.equal(record.LastName, 'Single-Retrieve');
    assert.equal(record.Email, 'single.retrieve@example.com');
    assert.equal(record.FirstName, null);
    assert.equal(record.IsDeleted, false);
    assert.match(record.CreatedDate, DATETIME_RE);
    assert.match(record.SystemModstamp, DATETIME_RE);
    assertId(record.OwnerId, '005');
  });

  test('retrieve with fields returns only those', async () => {
    const id = await createContact({ LastName: 'Single-Fields', Title: 'VP' });
    const { result: record, wire } = await onWire(
      () => contacts.retrieve(id, { fields: ['Id', 'Title'] }));

    assert.deepEqual(Object.keys(record), ['attributes', 'Id', 'Title']);
    assert.equal(record.Title, 'VP');
    assert.equal(wire.exchanges[0].path,
      `${BASE_PATH}/sobjects/Contact/${id}?fields=Id,Title`);
  });

  test('retrieve by 15-character id', async () => {
    const id = await createContact({ LastName: 'Single-Short-Id' });
    const record = await contacts.retrieve(id.slice(0, 15));

    assert.equal(record.Id, id);
  });

  test('update returns synthesised result on 204', async () => {
    const id = await createContact({ LastName: 'Single-Update' });
    const { result, wire } = await onWire(
      () => contacts.update({ Id: id, Title: 'Team Lead' }));

    assert.deepEqual(result, { id, success: true, errors: [] });
    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.path, e.status]),
      [['PATCH', `${BASE_PATH}/sobjects/Contact/${id}`, 204]]);
    const record = await contacts.retrieve(id);
    assert.equal(record.Title, 'Team Lead');
    assert.equal(record.LastName, 'Single-Update');
  });

  test('update with null clears a field', async () => {
    const id = await createContact({ LastName: 'Single-Null', Title: 'Old' });
    await contacts.update({ Id: id, Title: null });
    const record = await contacts.retrieve(id);

    assert.equal(record.Title, null);
  });

  test('destroy returns synthesised result on 204', async () => {
    const id = await createContact({ LastName: 'Single-Destroy' });
    const { result, wire } = await onWire(() => contacts.destroy(id));

    assert.deepEqual(result, { id, success: true, errors: [] });
    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.status]),
      [['DELETE', 204]]);
    assert.equal(await countByLastName('Single-Destroy'), 0);
  });

  test('deleted record gives ENTITY_IS_DELETED', async () => {
    const id = await createContact({ LastName: 'Single-Deleted' });
    await contacts.destroy(id);

    await rejectsWithCode(contacts.retrieve(id), 'ENTITY_IS_DELETED');
    await rejectsWithCode(contacts.update({ Id: id, Title: 'x' }),
      'ENTITY_IS_DELETED');
    await rejectsWithCode(contacts.destroy(id), 'ENTITY_IS_DELETED');
  });

  test('record reference round trip', async () => {
    const id = await createContact({ LastName: 'Single-Reference' });
    const ref = contacts.record(id);

    assert.equal((await ref.retrieve()).LastName, 'Single-Reference');
    const updated = await ref.update({ Title: 'Referenced' });
    assert.deepEqual(updated, { id, success: true, errors: [] });
    assert.equal((await ref.retrieve()).Title, 'Referenced');
    await ref.destroy();
    await rejectsWithCode(ref.retrieve(), 'ENTITY_IS_DELETED');
  });

  test('missing record gives NOT_FOUND', async () => {
    const { wire } = await onWire(
      () => rejectsWithCode(contacts.retrieve(missingId('003')), 'NOT_FOUND'));

    assert.equal(wire.exchanges[0].status, 404);
    await rejectsWithCode(
      contacts.update({ Id: missingId('003'), Title: 'x' }), 'NOT_FOUND');
  });

  test('unknown object gives NOT_FOUND', async () => {
    await rejectsWithCode(conn.sobject('Xyzzy').retrieve(missingId('003')),
      'NOT_FOUND');
  });

  test('missing LastName gives REQUIRED_FIELD_MISSING', async () => {
    const { result: error, wire } = await onWire(() => rejectsWithCode(
      contacts.create({ FirstName: 'NoLastName' }), 'REQUIRED_FIELD_MISSING'));

    assert.equal(wire.exchanges[0].status, 400);
    assert.deepEqual(error.data.fields, ['LastName']);
    assert.match(error.message, /LastName/);
  });

  test('long LastName gives STRING_TOO_LONG', async () => {
    const error = await rejectsWithCode(
      contacts.create({ LastName: 'x'.repeat(81) }), 'STRING_TOO_LONG');

    // Salesforce names the field by its label and states the limit.
    assert.match(error.message, /Last Name/);
    assert.match(error.message, /max length=80/);
    assert.deepEqual(error.data.fields, ['LastName']);
    assert.equal(await countByLastName('x'.repeat(81)), 0);

    const id = await createContact({ LastName: 'y'.repeat(80) });
    assertId(id, '003');
  });

  test('unknown field gives INVALID_FIELD', async () => {
    const error = await rejectsWithCode(
      contacts.create({ LastName: 'Bad-Field', NoSuchField__c: 'x' }),
      'INVALID_FIELD');

    assert.match(error.message, /NoSuchField__c/);
    assert.equal(await countByLastName('Bad-Field'), 0);
  });

  test('bad email gives INVALID_EMAIL_ADDRESS', async () => {
    await rejectsWithCode(
      contacts.create({ LastName: 'Bad-Email', Email: 'not-an-email' }),
      'INVALID_EMAIL_ADDRESS');
  });

  test('field names are case-insensitive', async () => {
    const id = await createContact(
      { lastname: 'Lower-Case', EMAIL: 'lc@example.com' });
    const record = await contacts.retrieve(id,
      { fields: ['lastname', 'email'] });

    assert.equal(record.LastName, 'Lower-Case');
    assert.equal(record.Email, 'lc@example.com');
  });
});

describe('sObject Collections', () => {
  test('create array', async () => {
    const { result, wire } = await onWire(() => contacts.create(
      [{ LastName: 'Many-Create-1' }, { LastName: 'Many-Create-2' }]));

    assert.equal(result.length, 2);
    for (const item of result) {
      assert.equal(item.success, true);
      assert.deepEqual(item.errors, []);
      assertId(item.id, '003');
    }
    assert.notEqual(result[0].id, result[1].id);
    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.path, e.status]),
      [['POST', `${BASE_PATH}/composite/sobjects`, 200]]);
    const first = await contacts.retrieve(result[0].id);
    assert.equal(first.LastName, 'Many-Create-1');
  });

  test('create array partial failure', async () => {
    const result = await contacts.create([
      { LastName: 'Many-Partial' },
      { FirstName: 'NoLastName' },
      { LastName: 'z'.repeat(81) },
    ]);

    assert.equal(result.length, 3);
    assert.equal(result[0].success, true);
    assertId(result[0].id, '003');
    assert.equal(result[1].success, false);
    assert.equal(result[1].id ?? null, null);
    // Collections report `statusCode`, not the `errorCode` of single calls.
    assert.equal(result[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual(result[1].errors[0].fields, ['LastName']);
    assert.equal(typeof result[1].errors[0].message, 'string');
    assert.equal(result[2].success, false);
    assert.equal(result[2].errors[0].statusCode, 'STRING_TOO_LONG');
    assert.equal(await countByLastName('Many-Partial'), 1);
  });

  test('create array allOrNone rolls back', async () => {
    const result = await contacts.create(
      [{ LastName: 'Many-Rolled-Back' }, { FirstName: 'NoLastName' }],
      { allOrNone: true });

    assert.equal(result.length, 2);
    assert.equal(result[0].success, false);
    assert.equal(result[0].errors[0].statusCode,
      'ALL_OR_NONE_OPERATION_ROLLED_BACK');
    assert.equal(result[1].success, false);
    assert.equal(result[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
    assert.equal(await countByLastName('Many-Rolled-Back'), 0);
  });

  test('update array partial failure', async () => {
    const a = await createContact({ LastName: 'Many-Update-A' });
    const b = await createContact({ LastName: 'Many-Update-B' });
    const { result, wire } = await onWire(() => contacts.update([
      { Id: a, Title: 'Updated' },
      { Id: b, LastName: 'q'.repeat(81) },
    ]));

    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.path, e.status]),
      [['PATCH', `${BASE_PATH}/composite/sobjects`, 200]]);
    assert.deepEqual(result[0], { id: a, success: true, errors: [] });
    assert.equal(result[1].success, false);
    assert.equal(result[1].errors[0].statusCode, 'STRING_TOO_LONG');
    assert.equal((await contacts.retrieve(a)).Title, 'Updated');
    assert.equal((await contacts.retrieve(b)).LastName, 'Many-Update-B');
  });

  test('update array allOrNone rolls back', async () => {
    const a = await createContact({ LastName: 'Many-Update-C' });
    const b = await createContact({ LastName: 'Many-Update-D' });
    const result = await contacts.update([
      { Id: a, Title: 'Must-Not-Stick' },
      { Id: b, LastName: 'q'.repeat(81) },
    ], { allOrNone: true });

    assert.equal(result[0].success, false);
    assert.equal(result[0].errors[0].statusCode,
      'ALL_OR_NONE_OPERATION_ROLLED_BACK');
    assert.equal(result[1].success, false);
    assert.equal((await contacts.retrieve(a)).Title, null);
  });

  test('destroy array with bad ids', async () => {
    const a = await createContact({ LastName: 'Many-Destroy-A' });
    const b = await createContact({ LastName: 'Many-Destroy-B' });
    const deletedId = await createContact({ LastName: 'Many-Destroy-Gone' });
    await contacts.destroy(deletedId);

    const { result, wire } = await onWire(
      () => contacts.destroy([a, b, deletedId, 'not-an-id']));

    assert.equal(wire.exchanges[0].method, 'DELETE');
    assert.equal(wire.exchanges[0].path,
      `${BASE_PATH}/composite/sobjects?ids=${a},${b},${deletedId},not-an-id`);
    assert.equal(wire.exchanges[0].status, 200);
    assert.equal(result.length, 4);
    assert.deepEqual(result[0], { id: a, success: true, errors: [] });
    assert.deepEqual(result[1], { id: b, success: true, errors: [] });
    assert.equal(result[2].success, false);
    assert.equal(result[2].errors[0].statusCode, 'ENTITY_IS_DELETED');
    assert.equal(result[3].success, false);
    assert.equal(result[3].errors[0].statusCode, 'MALFORMED_ID');
    assert.equal(await countByLastName('Many-Destroy-A'), 0);
  });

  test('destroy array allOrNone keeps records', async () => {
    const a = await createContact({ LastName: 'Many-Destroy-Kept' });
    const result = await contacts.destroy([a, 'not-an-id'],
      { allOrNone: true });

    assert.equal(result[0].success, false);
    assert.equal(result[0].errors[0].statusCode,
      'ALL_OR_NONE_OPERATION_ROLLED_BACK');
    assert.equal(result[1].success, false);
    assert.equal(await countByLastName('Many-Destroy-Kept'), 1);
  });

  test('retrieve array describes first', async () => {
    const a = await createContact({ LastName: 'Many-Retrieve-A' });
    const b = await createContact({ LastName: 'Many-Retrieve-B' });
    // A new connection, so that jsforce has no cached describe.
    const fresh = new jsforce.Connection({
      instanceUrl: sim.url, accessToken: conn.accessToken, version: API_VERSION,
    });
    const { result, wire } = await onWire(
      () => fresh.sobject('Contact').retrieve([b, missingId('003'), a]));

    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.path, e.status]), [
      ['GET', `${BASE_PATH}/sobjects/Contact/describe`, 200],
      ['POST', `${BASE_PATH}/composite/sobjects/Contact`, 200],
    ]);
    assert.equal(result.length, 3);
    assert.equal(result[0].Id, b);
    assert.equal(result[0].LastName, 'Many-Retrieve-B');
    // An id with no record gives null in its place.
    assert.equal(result[1], null);
    assert.equal(result[2].Id, a);
    const describe = await fresh.sobject('Contact').describe$();
    for (const field of describe.fields) {
      assert.ok(field.name in result[0], `${field.name} missing`);
    }
  });

  test('retrieve array with fields', async () => {
    const a = await createContact({ LastName: 'Many-Fields-A', Title: 'T-A' });
    const b = await createContact({ LastName: 'Many-Fields-B', Title: 'T-B' });
    const { result, wire } = await onWire(
      () => contacts.retrieve([a, b], { fields: ['Id', 'Title'] }));

    assert.deepEqual(wire.exchanges.map((e) => e.method), ['POST']);
    assert.deepEqual(result.map((r) => r.Title), ['T-A', 'T-B']);
    assert.deepEqual(Object.keys(result[0]), ['attributes', 'Id', 'Title']);
    assert.equal(result[0].attributes.type, 'Contact');
  });
});

describe('upsert by external id', () => {
  test('single upsert creates then updates', async () => {
    const { result: created, wire: wire1 } = await onWire(() => contacts
      .upsert({ [EXT_ID]: 'EXT-1', LastName: 'Upsert-One' }, EXT_ID));

    assert.equal(wire1.exchanges[0].method, 'PATCH');
    assert.equal(wire1.exchanges[0].path,
      `${BASE_PATH}/sobjects/Contact/${EXT_ID}/EXT-1`);
    assert.equal(wire1.exchanges[0].status, 201);
    assertId(created.id, '003');
    assert.deepEqual(created,
      { id: created.id, success: true, errors: [], created: true });

    const { result: updated, wire: wire2 } = await onWire(() => contacts
      .upsert({ [EXT_ID]: 'EXT-1', LastName: 'Upsert-One-Changed' }, EXT_ID));

    // From API 46.0 an update through upsert returns 200 with a body.
    assert.equal(wire2.exchanges[0].status, 200);
    assert.deepEqual(updated,
      { id: created.id, success: true, errors: [], created: false });
    const record = await contacts.retrieve(created.id);
    assert.equal(record.LastName, 'Upsert-One-Changed');
    assert.equal(record[EXT_ID], 'EXT-1');
  });

  test('external id value with a space', async () => {
    const result = await contacts.upsert(
      { [EXT_ID]: 'EXT 2', LastName: 'Upsert-Space' }, EXT_ID);

    assert.equal(result.created, true);
    const record = await contacts.retrieve(result.id);
    assert.equal(record[EXT_ID], 'EXT 2');
  });

  test('external id value with a slash', async () => {
    // jsforce does not escape the value, so the slash adds a path segment.
    await rejectsWithCode(
      contacts.upsert({ [EXT_ID]: 'EXT/3', LastName: 'Upsert-Slash' }, EXT_ID),
      'NOT_FOUND');
    assert.equal(await countByLastName('Upsert-Slash'), 0);
  });

  test('duplicate external id gives MULTIPLE_CHOICES', async () => {
    const created = await contacts.create([
      { [EXT_ID]: 'DUP-1', LastName: 'Upsert-Dup-A' },
      { [EXT_ID]: 'DUP-1', LastName: 'Upsert-Dup-B' },
    ]);
    assert.deepEqual(created.map((r) => r.success), [true, true]);

    const { result: error, wire } = await onWire(() => rejectsWithCode(
      contacts.upsert({ [EXT_ID]: 'DUP-1', LastName: 'Upsert-Dup-C' }, EXT_ID),
      'MULTIPLE_CHOICES'));

    assert.equal(wire.exchanges[0].status, 300);
    // The 300 body lists the URLs of the matching records.
    assert.ok(Array.isArray(error.data), JSON.stringify(error.data));
    assert.equal(error.data.length, 2);
    for (const item of created) {
      assert.ok(error.data.some((url) => String(url).endsWith(item.id)),
        `${item.id} missing from ${JSON.stringify(error.data)}`);
    }
    assert.equal(await countByLastName('Upsert-Dup-C'), 0);
  });

  test('unknown external id field gives NOT_FOUND', async () => {
    await rejectsWithCode(
      contacts.upsert({ No_Such__c: 'X', LastName: 'Upsert-Bad-Key' },
        'No_Such__c'),
      'NOT_FOUND');
  });

  test('upsert array', async () => {
    const existing = await contacts.upsert(
      { [EXT_ID]: 'EXT-10', LastName: 'Upsert-Many-Old' }, EXT_ID);
    const { result, wire } = await onWire(() => contacts.upsert([
      { [EXT_ID]: 'EXT-10', LastName: 'Upsert-Many-Changed' },
      { [EXT_ID]: 'EXT-11', LastName: 'Upsert-Many-New' },
      { [EXT_ID]: 'EXT-12', FirstName: 'NoLastName' },
    ], EXT_ID));

    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.path, e.status]),
      [['PATCH', `${BASE_PATH}/composite/sobjects/Contact/${EXT_ID}`, 200]]);
    assert.equal(result.length, 3);
    assert.deepEqual(result[0],
      { id: existing.id, success: true, errors: [], created: false });
    assert.equal(result[1].success, true);
    assert.equal(result[1].created, true);
    assertId(result[1].id, '003');
    assert.equal(result[2].success, false);
    assert.equal(result[2].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
    assert.equal((await contacts.retrieve(existing.id)).LastName,
      'Upsert-Many-Changed');
  });

  test('describe marks the custom field', async () => {
    const describe = await contacts.describe();
    const field = describe.fields.find((f) => f.name === EXT_ID);

    assert.ok(field, `${EXT_ID} missing from describe`);
    assert.equal(field.type, 'string');
    assert.equal(field.length, 40);
    assert.equal(field.externalId, true);
    assert.equal(field.custom, true);
    assert.equal(field.nillable, true);
  });
});

describe('replication resources', () => {
  // getUpdated and getDeleted drop the seconds, so the window ends a
  // minute ahead to include the writes created just now.
  function window() {
    return {
      start: new Date(Date.now() - 10 * 60 * 1000),
      end: new Date(Date.now() + 2 * 60 * 1000),
    };
  }

  test('updated lists created and changed ids', async () => {
    const a = await createContact({ LastName: 'Replicate-Updated-A' });
    const b = await createContact({ LastName: 'Replicate-Updated-B' });
    await contacts.update({ Id: b, Title: 'Changed' });
    const { start, end } = window();
    const { result, wire } = await onWire(() => contacts.updated(start, end));

    assert.match(wire.exchanges[0].path, new RegExp(
      `^${BASE_PATH}/sobjects/Contact/updated\\?start=\\d{4}-\\d\\d-\\d\\dT`
      + '\\d\\d%3A\\d\\d%3A\\d\\d%2B00%3A00&end='));
    assert.ok(Array.isArray(result.ids));
    assert.ok(result.ids.includes(a), `${a} missing`);
    assert.ok(result.ids.includes(b), `${b} missing`);
    assert.match(result.latestDateCovered, DATETIME_RE);
    assert.ok(Date.parse(result.latestDateCovered.replace('+0000', 'Z'))
      <= end.getTime());
  });

  test('deleted lists destroyed ids', async () => {
    const a = await createContact({ LastName: 'Replicate-Deleted' });
    const keptId = await createContact({ LastName: 'Replicate-Kept' });
    await contacts.destroy(a);
    const { start, end } = window();
    const result = await contacts.deleted(start, end);

    assert.ok(Array.isArray(result.deletedRecords));
    const entry = result.deletedRecords.find((r) => r.id === a);
    assert.ok(entry, `${a} missing from ${JSON.stringify(result)}`);
    assert.match(entry.deletedDate, DATETIME_RE);
    assert.ok(!result.deletedRecords.some((r) => r.id === keptId));
    assert.match(result.earliestDateAvailable, DATETIME_RE);
    assert.match(result.latestDateCovered, DATETIME_RE);
  });

  test('end before start is rejected', async () => {
    const now = Date.now();
    await rejectsWithCode(
      contacts.updated(new Date(now), new Date(now - 60 * 60 * 1000)),
      'INVALID_REPLICATION_DATE');
  });
});

test('forty parallel retrieves', async () => {
  const records = Array.from({ length: 40 },
    (_, i) => ({ LastName: `Parallel-${i}` }));
  const created = await contacts.create(records);
  const ids = created.map((r) => r.id);
  // Calls in flight at the same time each take their own connection.
  const fetched = await Promise.all(ids.map((id) => contacts.retrieve(id)));

  assert.deepEqual(fetched.map((r) => r.Id), ids);
  assert.deepEqual(fetched.map((r) => r.LastName),
    records.map((r) => r.LastName));
});

test('created records are queryable', async () => {
  const id = await createContact({ LastName: "O'Query-Me" });
  const result = await conn.query('SELECT Id, LastName FROM Contact '
    + `WHERE LastName = ${soqlString("O'Query-Me")}`);

  assert.equal(result.totalSize, 1);
  assert.equal(result.records[0].Id, id);
});
