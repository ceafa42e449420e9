// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// Lead conversion and record merge, checked through jsforce 3.10.16.
// Salesforce has no REST endpoint for either, so the tests trigger them
// through sfsim's control endpoints under /sim/ and read the results through
// the REST API that real clients use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertId, connectIntegration, rejectsWithCode, simControl, soqlString,
  startSim, stopSim,
} from './helpers.mjs';

let sim;
let conn;

before(async () => {
  sim = await startSim([]);
  conn = await connectIntegration(sim);
});

after(async () => {
  await stopSim(sim);
});

async function createLead(fields) {
  const result = await conn.sobject('Lead').create(fields);
  assert.equal(result.success, true, JSON.stringify(result));
  return result.id;
}

function idList(ids) {
  return ids.map(soqlString).join(',');
}

describe('leads', () => {
  test('new lead gets the default status', async () => {
    const id = await createLead(
      { LastName: 'Default-Status', Company: 'Acme' });
    const lead = await conn.sobject('Lead').retrieve(id);

    assertId(id, '00Q');
    assert.equal(lead.Status, 'Open - Not Contacted');
    assert.equal(lead.IsConverted, false);
    assert.equal(lead.ConvertedContactId, null);
  });

  test('lead without Company is rejected', async () => {
    const error = await rejectsWithCode(
      conn.sobject('Lead').create({ LastName: 'No-Company' }),
      'REQUIRED_FIELD_MISSING');

    assert.deepEqual(error.data.fields, ['Company']);
  });

  test('convert creates contact and account', async () => {
    const leadId = await createLead({
      FirstName: 'Ada', LastName: 'Convert-New', Company: 'Convert Co',
      Email: 'ada.convert@example.com', Phone: '+1 415 555 0100',
    });
    const reply = await simControl(sim, 'POST', `/sim/leads/${leadId}/convert`);

    assert.equal(reply.leadId, leadId);
    assertId(reply.contactId, '003');
    assertId(reply.accountId, '001');

    const lead = await conn.sobject('Lead').retrieve(leadId);
    assert.equal(lead.IsConverted, true);
    assert.equal(lead.ConvertedContactId, reply.contactId);
    assert.equal(lead.ConvertedAccountId, reply.accountId);
    assert.equal(lead.Status, 'Closed - Converted');
    // ConvertedDate is a date field, without a time.
    assert.match(lead.ConvertedDate, /^\d{4}-\d\d-\d\d$/);

    const contact = await conn.sobject('Contact').retrieve(reply.contactId);
    assert.equal(contact.FirstName, 'Ada');
    assert.equal(contact.LastName, 'Convert-New');
    assert.equal(contact.Email, 'ada.convert@example.com');
    assert.equal(contact.AccountId, reply.accountId);
    const account = await conn.sobject('Account').retrieve(reply.accountId);
    assert.equal(account.Name, 'Convert Co');
  });

  test('converted lead cannot be updated', async () => {
    const leadId = await createLead(
      { LastName: 'Convert-Frozen', Company: 'F' });
    await simControl(sim, 'POST', `/sim/leads/${leadId}/convert`);

    const error = await rejectsWithCode(
      conn.sobject('Lead').update({ Id: leadId, Title: 'Too late' }),
      'CANNOT_UPDATE_CONVERTED_LEAD');
    assert.ok(error.message.length > 0);
    const lead = await conn.sobject('Lead').retrieve(leadId);
    assert.equal(lead.Title, null);

    const results = await conn.sobject('Lead')
      .update([{ Id: leadId, Title: 'Too late' }]);
    assert.equal(results[0].success, false);
    assert.equal(results[0].errors[0].statusCode,
      'CANNOT_UPDATE_CONVERTED_LEAD');
  });

  test('convert into existing records', async () => {
    const account = await conn.sobject('Account').create({ Name: 'Existing' });
    const contact = await conn.sobject('Contact').create(
      { LastName: 'Existing-Contact', AccountId: account.id });
    const leadId = await createLead({
      LastName: 'Convert-Existing', Company: 'Existing',
      Email: 'filled.in@example.com',
    });
    const reply = await simControl(sim, 'POST',
      `/sim/leads/${leadId}/convert`, {
        contactId: contact.id,
        accountId: account.id,
        convertedStatus: 'Closed - Converted',
      });

    assert.deepEqual(reply,
      { leadId, contactId: contact.id, accountId: account.id });
    const lead = await conn.sobject('Lead').retrieve(leadId);
    assert.equal(lead.ConvertedContactId, contact.id);
    assert.equal(lead.ConvertedAccountId, account.id);
    // Conversion into an existing contact keeps its values and fills only
    // the empty fields.
    const merged = await conn.sobject('Contact').retrieve(contact.id);
    assert.equal(merged.LastName, 'Existing-Contact');
    assert.equal(merged.Email, 'filled.in@example.com');
  });

  test('converted leads stay queryable', async () => {
    const open = await createLead({ LastName: 'Query-Open', Company: 'Q' });
    const done = await createLead(
      { LastName: 'Query-Converted', Company: 'Q' });
    await simControl(sim, 'POST', `/sim/leads/${done}/convert`);

    const soql = 'SELECT Id, IsConverted FROM Lead '
      + `WHERE Id IN (${idList([open, done])})`;
    const all = await conn.query(soql);
    assert.equal(all.totalSize, 2);
    const active = await conn.query(`${soql} AND IsConverted = false`);
    assert.deepEqual(active.records.map((r) => r.Id), [open]);
  });
});

describe('merge', () => {
  test('losers are deleted with MasterRecordId', async () => {
    const created = await conn.sobject('Contact').create([
      { LastName: 'Merge-Master', Email: 'master@example.com' },
      { LastName: 'Merge-Loser-1', Phone: '+1 415 555 0101' },
      { LastName: 'Merge-Loser-2' },
    ]);
    assert.deepEqual(created.map((r) => r.success), [true, true, true]);
    const [master, loser1, loser2] = created.map((r) => r.id);

    await simControl(sim, 'POST', '/sim/merge',
      { masterId: master, ids: [loser1, loser2] });

    const soql = 'SELECT Id, IsDeleted, MasterRecordId FROM Contact '
      + `WHERE Id IN (${idList([master, loser1, loser2])})`;
    const all = await conn.query(soql, { scanAll: true });
    const byId = new Map(all.records.map((r) => [r.Id, r]));
    assert.equal(all.totalSize, 3);
    assert.equal(byId.get(master).IsDeleted, false);
    assert.equal(byId.get(master).MasterRecordId, null);
    for (const loser of [loser1, loser2]) {
      assert.equal(byId.get(loser).IsDeleted, true, loser);
      assert.equal(byId.get(loser).MasterRecordId, master, loser);
    }

    const live = await conn.query(soql);
    assert.deepEqual(live.records.map((r) => r.Id), [master]);
    await rejectsWithCode(conn.sobject('Contact').retrieve(loser1),
      'ENTITY_IS_DELETED');
  });

  test('merge losers appear in deleted()', async () => {
    const created = await conn.sobject('Contact').create([
      { LastName: 'Merge-Deleted-Master' },
      { LastName: 'Merge-Deleted-Loser' },
    ]);
    const [master, loser] = created.map((r) => r.id);
    await simControl(sim, 'POST', '/sim/merge',
      { masterId: master, ids: [loser] });

    const result = await conn.sobject('Contact').deleted(
      new Date(Date.now() - 10 * 60 * 1000),
      new Date(Date.now() + 2 * 60 * 1000));
    const ids = result.deletedRecords.map((r) => r.id);
    assert.ok(ids.includes(loser), `${loser} missing from ${ids}`);
    assert.ok(!ids.includes(master));
  });

  test('merge moves SystemModstamp of the master', async () => {
    const created = await conn.sobject('Contact').create([
      { LastName: 'Merge-Stamp-Master' },
      { LastName: 'Merge-Stamp-Loser' },
    ]);
    const [master, loser] = created.map((r) => r.id);
    const beforeMerge = await conn.sobject('Contact').retrieve(master);
    // Stamps have one-second resolution.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await simControl(sim, 'POST', '/sim/merge',
      { masterId: master, ids: [loser] });

    const afterMerge = await conn.sobject('Contact').retrieve(master);
    assert.ok(afterMerge.SystemModstamp > beforeMerge.SystemModstamp,
      `${afterMerge.SystemModstamp} is not after `
      + beforeMerge.SystemModstamp);
  });
});
