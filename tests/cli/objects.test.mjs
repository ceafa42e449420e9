// SPDX-License-Identifier: MIT
// sfsync pull of Leads and Contacts from a generated org: the linked
// object, the counts, the lead status, and converted Leads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { connectedSim, cleanUp, queryAll, count, convertLead } from './lib.mjs';

const CONVERTED = 5;
let env;
let converted; // [{leadId, contactId}] converted before any pull

before(async () => {
  env = await connectedSim(['--generate', 'contacts=300,leads=200,accounts=20']);
  const { sim, token } = env;
  const leads = await queryAll(sim.url, token,
    'SELECT Id FROM Lead ORDER BY Id LIMIT 5');
  converted = [];
  for (const { Id } of leads.records) {
    converted.push(await convertLead(sim.url, Id));
  }
  assert.equal(converted.length, CONVERTED);
});

after(async () => { await cleanUp(env); });

test('pull leads skips converted leads', async () => {
  const { sim, w, token } = env;
  const open = await count(sim.url, token,
    'SELECT Id FROM Lead WHERE IsConverted = false');
  assert.equal(open, 200 - CONVERTED);
  const sum = await w.json(['pull', 'leads', '--json']);
  assert.equal(sum.object, 'Lead');
  assert.equal(sum.total, open);
  assert.equal(sum.created, open);
  assert.equal(sum.errors, 0);
  const local = await w.contacts();
  assert.equal(local.length, open);
  const convertedIds = new Set(converted.map((c) => c.leadId));
  for (const c of local) {
    assert.equal(c.salesforce_object, 'Lead');
    assert.match(c.salesforce_id, /^00Q[0-9A-Za-z]{15}$/);
    assert.ok(!convertedIds.has(c.salesforce_id),
      `converted Lead ${c.salesforce_id} was pulled`);
    assert.equal(c.salesforce_url,
      `${sim.url}/lightning/r/Lead/${c.salesforce_id}/view`);
  }
});

test('lead status and company kept', async () => {
  const { sim, w, token } = env;
  const remote = await queryAll(sim.url, token,
    'SELECT Id, Status, Company, LastName, Email FROM Lead WHERE IsConverted = false');
  const bySfId = new Map(remote.records.map((r) => [r.Id, r]));
  const local = (await w.contacts()).filter((c) => c.salesforce_object === 'Lead');
  assert.equal(local.length, remote.totalSize);
  const statuses = new Set();
  for (const c of local) {
    const r = bySfId.get(c.salesforce_id);
    assert.ok(r, `no Lead ${c.salesforce_id} in sfsim`);
    assert.ok(r.Status, `Lead ${r.Id} has no Status in sfsim`);
    assert.equal(c.lead_status, r.Status, `status of ${r.Id}`);
    assert.equal(c.company, r.Company, `company of ${r.Id}`);
    assert.equal(c.last_name, r.LastName, `last name of ${r.Id}`);
    assert.equal(c.email, r.Email, `email of ${r.Id}`);
    statuses.add(c.lead_status);
  }
  // The generator spreads Leads over several statuses.
  assert.ok(statuses.size > 1, `only statuses ${[...statuses]}`);
});

test('pull contacts adds converted contacts', async () => {
  const { sim, w, token } = env;
  const contacts = await count(sim.url, token, 'SELECT Id FROM Contact');
  assert.equal(contacts, 300 + CONVERTED);
  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.object, 'Contact');
  assert.equal(sum.total, contacts);
  assert.equal(sum.created, contacts);
  assert.equal(sum.updated, 0);
  assert.equal(sum.errors, 0);

  const local = await w.contacts();
  assert.equal(local.length, 200 - CONVERTED + contacts);
  const ids = local.map((c) => c.salesforce_id);
  assert.equal(new Set(ids).size, ids.length, 'a record is linked twice');
  const objects = {};
  for (const c of local) {
    objects[c.salesforce_object] = (objects[c.salesforce_object] || 0) + 1;
    if (c.salesforce_object === 'Contact') {
      assert.match(c.salesforce_id, /^003[0-9A-Za-z]{15}$/);
      assert.equal(c.lead_status, null, `contact ${c.id} has a lead status`);
    }
  }
  assert.deepEqual(objects, { Lead: 200 - CONVERTED, Contact: contacts });
  for (const { contactId } of converted) {
    const linked = local.filter((c) => c.salesforce_id === contactId);
    assert.equal(linked.length, 1, `converted Contact ${contactId}`);
  }
});

test('company of contacts is account name', async () => {
  const { sim, w, token } = env;
  const remote = await queryAll(sim.url, token, 'SELECT Id, Account.Name FROM Contact');
  const bySfId = new Map(remote.records.map((r) => [r.Id, r]));
  const local = (await w.contacts()).filter((c) => c.salesforce_object === 'Contact');
  assert.equal(local.length, remote.totalSize);
  for (const c of local) {
    const r = bySfId.get(c.salesforce_id);
    assert.equal(c.company, r.Account ? r.Account.Name : null, `company of ${r.Id}`);
  }
});

test('repeated pulls change nothing', async () => {
  const { w } = env;
  const leads = await w.json(['pull', 'leads', '--json']);
  assert.equal(leads.unchanged, 200 - CONVERTED);
  assert.equal(leads.created + leads.updated, 0);
  const contacts = await w.json(['pull', 'contacts', '--json']);
  assert.equal(contacts.unchanged, 300 + CONVERTED);
  assert.equal(contacts.created + contacts.updated, 0);
});

test('lead converted after pull keeps its contact', async () => {
  const { sim, w } = env;
  const before = await w.contacts();
  const lead = before.find((c) => c.salesforce_object === 'Lead');
  const { contactId } = await convertLead(sim.url, lead.salesforce_id);

  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.total, 300 + CONVERTED + 1);
  assert.equal(sum.created, 0, 'the converted Lead came back as a new contact');
  assert.equal(sum.updated + sum.unchanged, sum.total);
  assert.equal(sum.errors, 0);
  // One page of Contacts and one of converted Leads.
  assert.equal(sum.api_calls, 2);

  const after = await w.contacts();
  assert.equal(after.length, before.length);
  const moved = after.find((c) => c.id === lead.id);
  assert.equal(moved.salesforce_object, 'Contact');
  assert.equal(moved.salesforce_id, contactId);
  assert.equal(moved.salesforce_url, `${sim.url}/lightning/r/Contact/${contactId}/view`);
  assert.equal(moved.last_name, lead.last_name);
  assert.equal(moved.email, lead.email);
  assert.equal(after.filter((c) => c.salesforce_id === contactId).length, 1);
  assert.ok(!after.some((c) => c.salesforce_id === lead.salesforce_id));

  const leads = await w.json(['pull', 'leads', '--json']);
  assert.equal(leads.total, 200 - CONVERTED - 1);
  assert.equal(leads.unchanged, leads.total);
  assert.equal(leads.created, 0);
  const again = await w.json(['pull', 'contacts', '--json']);
  assert.equal(again.created + again.updated, 0);
  assert.equal((await w.contacts()).length, before.length);
});
