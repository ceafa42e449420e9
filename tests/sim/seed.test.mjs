// SPDX-License-Identifier: MIT
// Loading data into sfsim over its command line: --data imports an
// sObject-tree plan (the bundled small plan, and the Trailhead samples when
// SFSYNC_SHARED_DATA points at them), --generate makes records from a seed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startSim, clientCredentials, api } from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SMALL_PLAN = path.join(HERE, '..', 'data', 'plan-small', 'plan.json');

// Run sfsim until it exits by itself; resolves to {code, stderr}.
async function runToExit(args) {
  const proc = spawn(process.env.SFSIM, ['--listen', '127.0.0.1:0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdout.resume();
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20000);
  const [code] = await once(proc, 'exit');
  clearTimeout(timer);
  return { code, stderr };
}

async function query(url, token, soql) {
  const res = await api(url, token, 'GET',
    `${V}/query?q=${encodeURIComponent(soql)}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

// Start sfsim with args, run fn(url, token), stop; returns the stderr.
async function withSim(args, fn) {
  const sim = await startSim(args);
  try {
    const { access_token: token } = await clientCredentials(sim.url);
    await fn(sim.url, token);
  } finally {
    await sim.stop();
  }
  return sim.stderr();
}

// The Trailhead sample plan, or a reason to skip.
function samplePlan(name) {
  const root = process.env.SFSYNC_SHARED_DATA;
  if (!root) return { skip: 'SFSYNC_SHARED_DATA is not set' };
  const plan = path.join(root, 'trailhead', name, 'data-plan.json');
  if (!fs.existsSync(plan)) return { skip: `${plan} is missing` };
  return { plan };
}

describe('--data plan import', () => {
  test('small plan links contacts to accounts', async () => {
    const stderr = await withSim(['--data', SMALL_PLAN], async (url, token) => {
      const res = await query(url, token,
        'SELECT FirstName, LastName, Account.Name FROM Contact');
      assert.equal(res.totalSize, 4);
      const byLast = Object.fromEntries(res.records.map((r) => [r.LastName,
        r]));
      assert.equal(byLast['García'].FirstName, 'José');
      assert.equal(byLast['García'].Account.Name, 'Acme Logistics Inc.');
      assert.equal(byLast['Schröder'].Account.Name,
        'Müller Maschinenbau GmbH');
      assert.equal(byLast['王'].Account.Name, 'Acme Logistics Inc.');
      assert.equal(byLast["O'Brien"].Account, null);
      const leads = await query(url, token, 'SELECT count() FROM Lead');
      assert.equal(leads.totalSize, 1);
    });
    assert.match(stderr,
      /WARN sim: skipped records of an object sfsim does not model object=Opportunity records=2/);
  });

  test('unknown reference stops start-up', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfsim-seed-'));
    try {
      fs.writeFileSync(path.join(dir, 'plan.json'), JSON.stringify([
        { sobject: 'Contact', files: ['contacts.json'] }]));
      fs.writeFileSync(path.join(dir, 'contacts.json'), JSON.stringify({
        records: [{ attributes: { type: 'Contact', referenceId: 'C1' },
          LastName: 'Lost', AccountId: '@NoSuchAccount' }] }));
      const { code, stderr } = await runToExit(['--data',
        path.join(dir, 'plan.json')]);
      assert.notEqual(code, 0);
      assert.match(stderr, /'contacts\.json'/);
      assert.match(stderr, /'C1'/);
      assert.match(stderr, /'@NoSuchAccount'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('missing plan stops start-up', async () => {
    const { code, stderr } = await runToExit(['--data',
      '/nonexistent/plan.json']);
    assert.notEqual(code, 0);
    assert.match(stderr, /\/nonexistent\/plan\.json/);
  });

  const apex = samplePlan('apex-recipes');
  test('apex-recipes sample imports', { skip: apex.skip }, async () => {
    const stderr = await withSim(['--data', apex.plan], async (url, token) => {
      const accounts = await query(url, token, 'SELECT count() FROM Account');
      assert.equal(accounts.totalSize, 50);
      const contacts = await query(url, token,
        'SELECT count() FROM Contact WHERE AccountId != null');
      assert.equal(contacts.totalSize, 150);
    });
    assert.match(stderr, /object=Opportunity records=\d+/);
  });

  const lwc = samplePlan('lwc-recipes');
  test('lwc-recipes sample needs its custom field', { skip: lwc.skip },
    async () => {
      const { code, stderr } = await runToExit(['--data', lwc.plan]);
      assert.notEqual(code, 0);
      assert.match(stderr, /INVALID_FIELD/);
      assert.match(stderr, /Picture__c/);
      await withSim(['--data', lwc.plan,
        '--custom-field', 'Contact.Picture__c:url:255'], async (url, token) => {
        const res = await query(url, token,
          'SELECT LastName, Picture__c FROM Contact');
        assert.equal(res.totalSize, 6);
        assert.ok(res.records.every((r) => r.Picture__c.startsWith('https:')));
      });
    });
});

describe('--generate', () => {
  const SOQL = 'SELECT Id, FirstName, LastName, Email, Phone, MailingCountry,'
    + ' Account.Name FROM Contact ORDER BY Id LIMIT 50';

  async function firstContacts(seed) {
    let records;
    await withSim(['--generate', 'accounts=5,contacts=200', '--seed',
      String(seed)], async (url, token) => {
      records = (await query(url, token, SOQL)).records;
    });
    return records;
  }

  test('same seed gives the same records', async () => {
    const a = await firstContacts(21);
    const b = await firstContacts(21);
    assert.equal(a.length, 50);
    assert.deepEqual(a, b);
  });

  test('different seed gives different records', async () => {
    const a = await firstContacts(21);
    const b = await firstContacts(22);
    assert.notDeepEqual(a.map((r) => r.Email), b.map((r) => r.Email));
  });

  test('invalid spec stops start-up', async () => {
    for (const [spec, value] of [['contacts=abc', 'abc'],
      ['widgets=3', 'widgets'], ['contacts=-1', '-1']]) {
      const { code, stderr } = await runToExit(['--generate', spec]);
      assert.notEqual(code, 0, spec);
      assert.ok(stderr.includes(`'${value}'`), stderr);
      assert.ok(stderr.includes('contacts=N,leads=M,accounts=K'), stderr);
    }
  });
});
