// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// jsforce 3.10.16 metadata and limit calls against sfsim: describe of
// Contact and Lead, describeGlobal, limits() and the Sforce-Limit-Info
// header that jsforce keeps in conn.limitInfo.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  BASE_PATH, connectIntegration, onWire, startSim, stopSim,
} from './helpers.mjs';

const API_LIMIT = 15000;

let sim;
let conn;

before(async () => {
  sim = await startSim(['--api-limit', String(API_LIMIT)]);
  conn = await connectIntegration(sim);
});

after(async () => {
  await stopSim(sim);
});

function fieldOf(describe, name) {
  const field = describe.fields.find((f) => f.name === name);
  assert.ok(field, `${describe.name}.${name} missing from describe`);
  return field;
}

// Salesforce's rule for a field the caller must set on create.
function isRequired(field) {
  return !field.nillable && field.createable && !field.defaultedOnCreate;
}

test('describe Contact', async () => {
  const { result: d, wire } = await onWire(() => conn.describe('Contact'));

  assert.equal(wire.exchanges[0].path,
    `${BASE_PATH}/sobjects/Contact/describe`);
  assert.equal(d.name, 'Contact');
  assert.equal(d.label, 'Contact');
  assert.equal(d.keyPrefix, '003');
  assert.equal(d.createable, true);
  assert.equal(d.queryable, true);
  assert.equal(d.custom, false);
  assert.equal(d.urls.sobject, `${BASE_PATH}/sobjects/Contact`);
  assert.equal(d.urls.describe, `${BASE_PATH}/sobjects/Contact/describe`);
  assert.equal(d.urls.rowTemplate, `${BASE_PATH}/sobjects/Contact/{ID}`);

  for (const field of d.fields) {
    assert.equal(typeof field.name, 'string');
    assert.equal(typeof field.type, 'string', `type of ${field.name}`);
    assert.equal(typeof field.label, 'string', `label of ${field.name}`);
  }
  const names = d.fields.map((f) => f.name);
  assert.equal(new Set(names).size, names.length, 'a field is listed twice');

  const lastName = fieldOf(d, 'LastName');
  assert.equal(lastName.type, 'string');
  assert.equal(lastName.length, 80);
  assert.equal(lastName.label, 'Last Name');
  assert.equal(isRequired(lastName), true);

  const email = fieldOf(d, 'Email');
  assert.equal(email.type, 'email');
  assert.equal(email.length, 80);
  assert.equal(email.idLookup, true);
  assert.equal(isRequired(email), false);

  const firstName = fieldOf(d, 'FirstName');
  assert.equal(firstName.type, 'string');
  assert.equal(firstName.length, 40);

  assert.equal(fieldOf(d, 'Phone').type, 'phone');
  assert.equal(fieldOf(d, 'Phone').length, 40);
  assert.equal(fieldOf(d, 'Id').type, 'id');

  const accountId = fieldOf(d, 'AccountId');
  assert.equal(accountId.type, 'reference');
  assert.deepEqual(accountId.referenceTo, ['Account']);
  assert.equal(accountId.relationshipName, 'Account');

  const required = d.fields.filter(isRequired).map((f) => f.name);
  assert.deepEqual(required, ['LastName']);
});

test('describe Lead', async () => {
  const d = await conn.sobject('Lead').describe();

  assert.equal(d.name, 'Lead');
  assert.equal(d.keyPrefix, '00Q');

  const status = fieldOf(d, 'Status');
  assert.equal(status.type, 'picklist');
  assert.equal(status.nillable, false);
  assert.equal(status.defaultedOnCreate, true);
  const defaults = status.picklistValues.filter((p) => p.defaultValue);
  assert.deepEqual(defaults.map((p) => p.value), ['Open - Not Contacted']);
  const values = status.picklistValues.map((p) => p.value);
  assert.ok(values.includes('Closed - Converted'), values.join(', '));
  for (const entry of status.picklistValues) {
    assert.equal(entry.active, true);
    assert.equal(typeof entry.label, 'string');
  }

  const company = fieldOf(d, 'Company');
  assert.equal(company.type, 'string');
  assert.equal(company.length, 255);
  assert.equal(isRequired(company), true);

  const lastName = fieldOf(d, 'LastName');
  assert.equal(lastName.length, 80);
  assert.equal(isRequired(lastName), true);

  assert.equal(fieldOf(d, 'Email').type, 'email');
  assert.equal(fieldOf(d, 'IsConverted').type, 'boolean');
  assert.equal(fieldOf(d, 'IsConverted').updateable, false);
  assert.equal(fieldOf(d, 'ConvertedDate').type, 'date');
  assert.equal(fieldOf(d, 'LeadSource').type, 'picklist');
});

test('object names in the path are case-insensitive', async () => {
  const d = await conn.describe('contact');

  assert.equal(d.name, 'Contact');
});

test('unknown object describe gives NOT_FOUND', async () => {
  await assert.rejects(conn.describe('Xyzzy'),
    (e) => e.errorCode === 'NOT_FOUND' && e.name === 'NOT_FOUND');
});

test('describeGlobal lists the objects', async () => {
  const { result: g, wire } = await onWire(() => conn.describeGlobal());

  assert.equal(wire.exchanges[0].path, `${BASE_PATH}/sobjects`);
  assert.equal(g.encoding, 'UTF-8');
  assert.equal(g.maxBatchSize, 200);
  assert.ok(Array.isArray(g.sobjects));
  const byName = new Map(g.sobjects.map((s) => [s.name, s]));
  const prefixes = { Account: '001', Contact: '003', Lead: '00Q', User: '005' };
  for (const [name, prefix] of Object.entries(prefixes)) {
    const entry = byName.get(name);
    assert.ok(entry, `${name} missing from describeGlobal`);
    assert.equal(entry.keyPrefix, prefix);
    assert.equal(typeof entry.label, 'string');
    assert.equal(entry.queryable, true);
    assert.equal(entry.urls.sobject, `${BASE_PATH}/sobjects/${name}`);
    assert.equal(entry.urls.describe, `${BASE_PATH}/sobjects/${name}/describe`);
  }
});

test('limits and limitInfo agree', async () => {
  const { result: limits, wire } = await onWire(() => conn.limits());

  assert.equal(wire.exchanges[0].path, `${BASE_PATH}/limits`);
  assert.equal(limits.DailyApiRequests.Max, API_LIMIT);
  assert.ok(limits.DailyApiRequests.Remaining < API_LIMIT);
  assert.ok(limits.DailyApiRequests.Remaining > 0);
  assert.equal(conn.limitInfo.apiUsage.limit, API_LIMIT);
  const used = API_LIMIT - limits.DailyApiRequests.Remaining;
  // Salesforce counts the limits call itself; allow the header and the
  // body to differ by that one call.
  assert.ok(Math.abs(conn.limitInfo.apiUsage.used - used) <= 1,
    `header used ${conn.limitInfo.apiUsage.used}, body used ${used}`);
});

test('each call counts once in limitInfo', async () => {
  await conn.query('SELECT Id FROM Contact');
  const usedBefore = conn.limitInfo.apiUsage.used;
  await conn.query('SELECT Id FROM Contact');
  await conn.sobject('Contact').describe();

  assert.equal(conn.limitInfo.apiUsage.used, usedBefore + 2);
  assert.equal(conn.limitInfo.apiUsage.limit, API_LIMIT);
});

test('versions list includes 60.0', async () => {
  const versions = await conn.request('/services/data');

  assert.ok(Array.isArray(versions), JSON.stringify(versions));
  const entry = versions.find((v) => v.version === '60.0');
  assert.ok(entry, `60.0 missing from ${JSON.stringify(versions)}`);
  assert.equal(entry.url, '/services/data/v60.0');
  assert.equal(typeof entry.label, 'string');
});

test('version resource lists the resources', async () => {
  const resources = await conn.request(BASE_PATH);

  assert.equal(resources.sobjects, `${BASE_PATH}/sobjects`);
  assert.equal(resources.query, `${BASE_PATH}/query`);
  assert.equal(resources.limits, `${BASE_PATH}/limits`);
  assert.match(resources.identity, new RegExp(`^${sim.url}/id/00D`));
});
