// SPDX-License-Identifier: MIT
// sfsync pull of the Trailhead apex-recipes sample org (150 Contacts of
// 50 Accounts), when SFSYNC_SHARED_DATA points at the sample data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { connectedSim, cleanUp, queryAll, byId } from './lib.mjs';

const root = process.env.SFSYNC_SHARED_DATA;
const plan = root && path.join(root, 'trailhead', 'apex-recipes', 'data-plan.json');
const skip = !root ? 'SFSYNC_SHARED_DATA is not set'
  : !fs.existsSync(plan) ? `${plan} is missing` : false;
if (skip) console.log(`skip: ${skip}`);

let env;

before(async () => {
  if (!skip) env = await connectedSim(['--data', plan]);
});

after(async () => { if (env) await cleanUp(env); });

test('first pull creates every contact', { skip }, async () => {
  const { sim, w, token } = env;
  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.object, 'Contact');
  assert.equal(sum.total, 150);
  assert.equal(sum.created, 150);
  assert.equal(sum.updated, 0);
  assert.equal(sum.errors, 0);
  assert.equal(sum.resumed, false);

  const remote = await queryAll(sim.url, token,
    'SELECT Id, Phone, Email, Account.Name FROM Contact');
  assert.equal(remote.totalSize, 150);
  const bySfId = new Map(remote.records.map((r) => [r.Id, r]));
  const local = await w.contacts();
  assert.equal(local.length, 150);
  const seen = new Set();
  for (const c of local) {
    const r = bySfId.get(c.salesforce_id);
    assert.ok(r, `contact ${c.id} links to unknown record ${c.salesforce_id}`);
    assert.ok(!seen.has(c.salesforce_id), `${c.salesforce_id} pulled twice`);
    seen.add(c.salesforce_id);
    assert.equal(c.salesforce_object, 'Contact');
    assert.match(c.salesforce_id, /^003[0-9A-Za-z]{15}$/);
    assert.equal(c.company, r.Account.Name, `company of ${r.Id}`);
    assert.equal(c.email, r.Email, `email of ${r.Id}`);
    assert.equal(c.phone, r.Phone, `phone of ${r.Id}`);
    assert.match(r.Phone, /^\d{10}$/);
    assert.equal(c.phone_e164, `+1${r.Phone}`, `E.164 phone of ${r.Id}`);
    assert.equal(c.salesforce_url,
      `${sim.url}/lightning/r/Contact/${c.salesforce_id}/view`);
  }
});

test('sample phone in E.164', { skip }, async () => {
  const local = await env.w.contacts();
  const lianna = local.filter((c) => c.phone === '5624081052');
  assert.equal(lianna.length, 1);
  assert.equal(lianna[0].phone_e164, '+15624081052');
  assert.equal(lianna[0].last_name, 'Sinisbury');
});

test('salesforce_url opens the record', { skip }, async () => {
  const local = await env.w.contacts();
  // Every record page, fetched a few at a time.
  for (let i = 0; i < local.length; i += 25) {
    const replies = await Promise.all(local.slice(i, i + 25)
      .map((c) => fetch(c.salesforce_url)));
    for (const [j, res] of replies.entries()) {
      const c = local[i + j];
      assert.equal(res.status, 200, c.salesforce_url);
      const html = await res.text();
      assert.ok(html.includes(c.last_name),
        `${c.salesforce_url} does not show '${c.last_name}'`);
    }
  }
});

test('second pull changes nothing', { skip }, async () => {
  const { w } = env;
  const before = byId(await w.contacts());
  const sum = await w.json(['pull', 'contacts', '--json']);
  assert.equal(sum.total, 150);
  assert.equal(sum.unchanged, 150);
  assert.equal(sum.created, 0);
  assert.equal(sum.updated, 0);
  assert.equal(sum.errors, 0);
  const after = byId(await w.contacts());
  assert.equal(after.size, 150);
  for (const [id, c] of before) {
    assert.deepEqual(after.get(id), c, `contact ${id} was written`);
  }
});
