// SPDX-License-Identifier: MIT
// The User and Organization objects. There is one read-only User record
// per user of the org (the integration user and every --user) and one
// Organization record. They can be queried, retrieved and reached through
// relationships such as Owner and CreatedBy, and stay the same after a
// restart from --state.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSim, clientCredentials, passwordGrant, api } from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';
const REP = { username: 'rep@example.com', password: 'rep-pass' };

async function query(url, token, soql) {
  const r = await api(url, token, 'GET', `${V}/query?q=${encodeURIComponent(soql)}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

describe('User and Organization records', () => {
  let sim, token, repId;

  before(async () => {
    sim = await startSim(['--user', `${REP.username}:${REP.password}`]);
    token = (await clientCredentials(sim.url)).access_token;
    const rep = await passwordGrant(sim.url, REP.username, REP.password);
    repId = rep.id.split('/').pop();
  });

  after(async () => { await sim.stop(); });

  test('every user is a User record', async () => {
    const r = await query(sim.url, token,
      'SELECT Id, Username, FirstName, LastName, Name, Email, IsActive FROM User ORDER BY Username');
    assert.equal(r.totalSize, 2);
    const [integration, rep] = r.records;
    assert.equal(integration.Username, 'integration@sfsim.local');
    assert.equal(integration.Name, 'Integration User');
    assert.equal(integration.IsActive, true);
    assert.equal(rep.Username, REP.username);
    assert.equal(rep.Id, repId);
    assert.equal(rep.Email, REP.username);
    assert.equal(rep.Name, `${rep.FirstName} ${rep.LastName}`);
  });

  test('User record by id has Username and stamps', async () => {
    const r = await api(sim.url, token, 'GET', `${V}/sobjects/User/${repId}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.Username, REP.username);
    assert.match(r.body.CreatedDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/);
    assert.equal(r.body.SystemModstamp, r.body.LastModifiedDate);
    const by = await api(sim.url, token, 'GET', `${V}/sobjects/User/Username/${encodeURIComponent(REP.username)}`);
    assert.equal(by.status, 200, by.text);
    assert.equal(by.body.Id, repId);
  });

  test('Owner and CreatedBy resolve to users', async () => {
    const rep = await passwordGrant(sim.url, REP.username, REP.password);
    const c = await api(sim.url, rep.access_token, 'POST', `${V}/sobjects/Contact`, { LastName: 'Owned' });
    assert.equal(c.status, 201, c.text);
    const r = await query(sim.url, token,
      `SELECT Owner.Name, Owner.Username, CreatedBy.Name FROM Contact WHERE Id = '${c.body.id}'`);
    const row = r.records[0];
    assert.equal(row.Owner.Username, REP.username);
    assert.equal(typeof row.Owner.Name, 'string');
    assert.equal(row.CreatedBy.Name, row.Owner.Name);
    const byOwner = await query(sim.url, token,
      `SELECT Id FROM Contact WHERE Owner.Username = '${REP.username}'`);
    assert.deepEqual(byOwner.records.map((x) => x.Id), [c.body.id]);
  });

  test('User is read-only through the API', async () => {
    let r = await api(sim.url, token, 'POST', `${V}/sobjects/User`, { LastName: 'New' });
    assert.equal(r.status, 400);
    assert.equal(r.body[0].errorCode, 'INVALID_TYPE_FOR_OPERATION');
    r = await api(sim.url, token, 'PATCH', `${V}/sobjects/User/${repId}`, { LastName: 'Changed' });
    assert.equal(r.status, 400);
    assert.equal(r.body[0].errorCode, 'INVALID_TYPE_FOR_OPERATION');
    r = await api(sim.url, token, 'DELETE', `${V}/sobjects/User/${repId}`);
    assert.equal(r.status, 400);
    assert.equal(r.body[0].errorCode, 'INVALID_TYPE_FOR_OPERATION');
    r = await api(sim.url, token, 'POST', `${V}/composite/sobjects`, {
      records: [{ attributes: { type: 'User' }, LastName: 'New' }],
    });
    assert.equal(r.status, 200);
    assert.equal(r.body[0].success, false);
    assert.equal(r.body[0].errors[0].statusCode, 'INVALID_TYPE_FOR_OPERATION');
    const raw = await fetch(`${sim.url}/sim/records/${repId}`, { method: 'PATCH', body: '{"LastName":"x"}' });
    assert.equal(raw.status, 400);
    const users = await query(sim.url, token, 'SELECT Id, LastName FROM User');
    assert.equal(users.totalSize, 2);
    assert.notEqual(users.records.find((u) => u.Id === repId).LastName, 'Changed');
  });

  test('Organization has one record with the org id', async () => {
    const r = await query(sim.url, token,
      'SELECT Id, Name, InstanceName, IsSandbox, OrganizationType, NamespacePrefix, TrialExpirationDate FROM Organization');
    assert.equal(r.totalSize, 1);
    const org = r.records[0];
    const identity = (await api(sim.url, token, 'GET', V)).body.identity;
    assert.equal(org.Id, identity.split('/').slice(-2)[0]);
    assert.equal(org.IsSandbox, false);
    assert.equal(org.OrganizationType, 'Developer Edition');
    assert.equal(org.NamespacePrefix, null);
    assert.equal(org.TrialExpirationDate, null);
    assert.equal(typeof org.Name, 'string');
    assert.equal(typeof org.InstanceName, 'string');
    const d = await api(sim.url, token, 'GET', `${V}/sobjects/Organization/describe`);
    assert.equal(d.status, 200);
    assert.equal(d.body.createable, false);
    assert.equal(d.body.keyPrefix, '00D');
  });
});

describe('User records across restarts', () => {
  let dir;

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfsim-users-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  async function users(file, extra = []) {
    const sim = await startSim(['--state', file, '--user', `${REP.username}:${REP.password}`, ...extra]);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const r = await query(sim.url, token, 'SELECT Id, Username, CreatedDate FROM User ORDER BY Username');
      const all = await api(sim.url, token, 'GET', `${V}/queryAll?q=SELECT+COUNT()+FROM+User`);
      return { records: r.records, all: all.body.totalSize };
    } finally {
      await sim.stop();
    }
  }

  test('restart neither loses nor duplicates users', async () => {
    const file = path.join(dir, 'org.db');
    const first = await users(file);
    assert.equal(first.records.length, 2);
    const second = await users(file);
    assert.deepEqual(second.records, first.records);
    assert.equal(second.all, 2);
    const third = await users(file, ['--user', 'new@example.com:pw']);
    assert.equal(third.records.length, 3);
    for (const u of first.records) assert.deepEqual(third.records.find((x) => x.Id === u.Id), u);
    const ids = new Set(third.records.map((u) => u.Id));
    assert.equal(ids.size, 3);
  });
});
