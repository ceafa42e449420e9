// SPDX-License-Identifier: MIT
// Rules of the two-way sync against a real sfsim. A manual pull merges
// with conflict_policy. The default_company sent for a Lead without a
// company stays out of the local contact. Folded contacts keep their
// opt-outs, Account names match in any case, and a waiting conflict is
// recorded once.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, Workdir, connectArgs, api, passwordGrantFor, setFaults, queryAll, V,
  CLIENT_SECRET,
} from './lib.mjs';

const REP = 'rep@example.com';
const REP_PASSWORD = 'rep-pass';

// A fresh org with a second user, a connected and synced work directory
// and that user's token.
async function withOrg(fn) {
  const sim = await startSim(['--generate', 'contacts=6,leads=3,accounts=2',
    '--user', `${REP}:${REP_PASSWORD}`]);
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['sync', '--json']);
    const rep = await passwordGrantFor(sim.url, REP, REP_PASSWORD,
      CLIENT_SECRET);
    await fn({ sim, w, token: rep.access_token });
  } finally {
    w.remove();
    await sim.stop();
  }
}

async function sfGet(sim, token, object, id, fields) {
  const res = await api(sim.url, token, 'GET',
    `${V}/sobjects/${object}/${id}?fields=${fields}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

async function sfPatch(sim, token, object, id, body) {
  const res = await api(sim.url, token, 'PATCH',
    `${V}/sobjects/${object}/${id}`, body);
  assert.equal(res.status, 204, res.text);
}

async function linkedTo(w, object) {
  const all = await w.contacts();
  return all.find((c) => c.salesforce_object === object);
}

test('manual pull keeps local winner', async () => {
  await withOrg(async ({ sim, w, token }) => {
    await w.ok(['config', 'set', 'conflict_policy', 'local']);
    const c = await linkedTo(w, 'Contact');
    await sfPatch(sim, token, 'Contact', c.salesforce_id,
      { Title: 'Remote Title' });
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Local Title']);
    await w.ok(['pull', 'contacts', '--json']);
    const after = await w.json(['contacts', 'show', String(c.id), '--json']);
    assert.equal(after.title, 'Local Title', 'the pull kept the local edit');

    await w.ok(['sync', '--json']);
    const rec = await sfGet(sim, token, 'Contact', c.salesforce_id, 'Title');
    assert.equal(rec.Title, 'Local Title', 'the next round pushed it');
  });
});

test('manual pull takes salesforce winner', async () => {
  await withOrg(async ({ sim, w, token }) => {
    await w.ok(['config', 'set', 'conflict_policy', 'salesforce']);
    const c = await linkedTo(w, 'Contact');
    await sfPatch(sim, token, 'Contact', c.salesforce_id,
      { Title: 'Remote Title' });
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Local Title']);
    await w.ok(['pull', 'contacts', '--json']);
    const after = await w.json(['contacts', 'show', String(c.id), '--json']);
    assert.equal(after.title, 'Remote Title');
  });
});

test('salesforce company reaches placeholder lead', async () => {
  await withOrg(async ({ sim, w, token }) => {
    await w.ok(['config', 'set', 'conflict_policy', 'local']);
    const made = await w.json(['contacts', 'add', '--json', '--last-name',
      'Nocompany', '--phone', '+1 206 555 0961']);
    await w.ok(['sync', '--json']);
    const linked = await w.json(['contacts', 'show', String(made.id), '--json']);
    assert.equal(linked.salesforce_object, 'Lead');
    const lead = await sfGet(sim, token, 'Lead', linked.salesforce_id,
      'Company');
    assert.equal(lead.Company, '[not provided]');

    await sfPatch(sim, token, 'Lead', linked.salesforce_id,
      { Company: 'Harbor Supply' });
    const summary = await w.json(['sync', '--json']);
    const after = await w.json(['contacts', 'show', String(made.id), '--json']);
    assert.equal(after.company, 'Harbor Supply');
    assert.equal(summary.conflicts, 0);
    const rec = await sfGet(sim, token, 'Lead', linked.salesforce_id,
      'Company');
    assert.equal(rec.Company, 'Harbor Supply', 'the push did not undo it');
  });
});

test('recovered lead keeps empty company', async () => {
  await withOrg(async ({ sim, w, token }) => {
    const made = await w.json(['contacts', 'add', '--json', '--last-name',
      'Lostreply', '--phone', '+1 206 555 0962']);
    // With the pull off, the create is the round's first call to lose its
    // reply; the next round finds the Lead and links it.
    await w.ok(['config', 'set', 'direction', 'to-salesforce']);
    await setFaults(sim.url, { drop: 1 });
    const lost = await w.run(['sync', '--json']);
    await setFaults(sim.url, { drop: 0 });
    assert.notEqual(lost.code, 0);
    const sent = await queryAll(sim.url, token,
      "SELECT Id FROM Lead WHERE LastName = 'Lostreply'");
    assert.equal(sent.totalSize, 1, 'the create was applied');
    await w.ok(['config', 'set', 'direction', 'both']);
    await w.ok(['sync', '--json']);
    const after = await w.json(['contacts', 'show', String(made.id), '--json']);
    assert.equal(after.salesforce_object, 'Lead');
    assert.ok(!after.company, `company is '${after.company}'`);
    const leads = await queryAll(sim.url, token,
      "SELECT Id FROM Lead WHERE LastName = 'Lostreply'");
    assert.equal(leads.totalSize, 1, 'the lost create was recovered, not repeated');
  });
});

async function simMerge(sim, masterId, ids) {
  const res = await fetch(`${sim.url}/sim/merge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ masterId, ids }),
  });
  assert.equal(res.status, 200, await res.text());
}

test('fold passes opt-outs to survivor', async () => {
  await withOrg(async ({ sim, w, token }) => {
    const [master, loser] = (await w.contacts())
      .filter((c) => c.salesforce_object === 'Contact');
    await w.ok(['contacts', 'update', String(master.id), '--do-not-call',
      'false', '--email-opt-out', 'false']);
    await w.ok(['contacts', 'update', String(loser.id), '--do-not-call',
      'true', '--email-opt-out', 'true']);
    await w.ok(['sync', '--json']);
    assert.equal((await w.json(['contacts', 'show', String(loser.id),
      '--json'])).pending_changes, 0, 'the flags reached salesforce');

    await simMerge(sim, master.salesforce_id, [loser.salesforce_id]);
    await w.run(['sync', '--json']);
    const survivor = await w.json(['contacts', 'show', String(master.id),
      '--json']);
    assert.equal(survivor.do_not_call, true);
    assert.equal(survivor.email_opt_out, true);
    const rec = await sfGet(sim, token, 'Contact', master.salesforce_id,
      'DoNotCall,HasOptedOutOfEmail');
    assert.equal(rec.DoNotCall, true, 'the push sent do-not-call');
    assert.equal(rec.HasOptedOutOfEmail, true);
  });
});

test('company case shares one account', async () => {
  await withOrg(async ({ sim, w, token }) => {
    await w.ok(['config', 'set', 'new_contacts_as', 'contact']);
    const existing = (await queryAll(sim.url, token,
      'SELECT Id, Name FROM Account ORDER BY Id LIMIT 1')).records[0];
    const before = (await queryAll(sim.url, token,
      'SELECT Id FROM Account')).totalSize;
    await w.ok(['contacts', 'add', '--last-name', 'Casea', '--phone',
      '+1 206 555 0971', '--company', 'Harbor Tools']);
    await w.ok(['contacts', 'add', '--last-name', 'Caseb', '--phone',
      '+1 206 555 0972', '--company', 'HARBOR TOOLS']);
    await w.ok(['contacts', 'add', '--last-name', 'Casec', '--phone',
      '+1 206 555 0973', '--company', existing.Name.toUpperCase()]);
    await w.ok(['sync', '--json']);
    const after = (await queryAll(sim.url, token,
      'SELECT Id FROM Account')).totalSize;
    assert.equal(after, before + 1, 'one new Account for both spellings');
    const made = await queryAll(sim.url, token,
      "SELECT Id, AccountId, LastName FROM Contact WHERE LastName IN " +
      "('Casea', 'Caseb', 'Casec') ORDER BY LastName");
    const ids = made.records.map((r) => r.AccountId);
    assert.equal(ids.length, 3);
    assert.equal(ids[0], ids[1]);
    assert.equal(ids[2], existing.Id, 'the existing Account was used');
  });
});

test('waiting conflict recorded once', async () => {
  await withOrg(async ({ sim, w, token }) => {
    await w.ok(['config', 'set', 'conflict_policy', 'local']);
    await w.ok(['config', 'set', 'direction', 'from-salesforce']);
    const c = await linkedTo(w, 'Contact');
    await sfPatch(sim, token, 'Contact', c.salesforce_id,
      { Title: 'Remote Title' });
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Local Title']);
    const rounds = [];
    for (let i = 0; i < 3; i++)
      rounds.push((await w.json(['sync', '--json'])).conflicts);
    assert.deepEqual(rounds, [1, 0, 0]);
    assert.equal((await w.json(['contacts', 'show', String(c.id),
      '--json'])).title, 'Local Title');

    // A new local edit is a new conflict with the same Salesforce edit.
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Later Title']);
    assert.equal((await w.json(['sync', '--json'])).conflicts, 1);
  });
});
