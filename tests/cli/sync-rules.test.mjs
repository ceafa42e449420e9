// SPDX-License-Identifier: MIT
// The sync's field and record rules against a real sfsim: clearing
// do-not-call and email opt-out, echo rounds counted as unchanged, local
// deletes and edits waiting while the push is off, merges and conversions
// into linked records, deletes kept with on_salesforce_delete=keep, the
// check of external_id_field, the Account of a Contact's company and the
// lock against two rounds at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, clientCredentials, Workdir, connectArgs, api, queryAll, setFaults,
  sleep, V,
} from './lib.mjs';

// A fresh org, a connected work directory and a token for the API.
async function withOrg(fn, simArgs = ['--generate', 'contacts=4,leads=2,accounts=2']) {
  const sim = await startSim(simArgs);
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    const { access_token: token } = await clientCredentials(sim.url);
    await fn({ sim, w, token });
  } finally {
    w.remove();
    await sim.stop();
  }
}

// Run sync --json and return the summary; exit status 0 is required
// unless allowErrors.
async function sync(w, { allowErrors = false } = {}) {
  const res = await w.run(['sync', '--json']);
  if (!allowErrors) assert.equal(res.code, 0, res.stderr + res.stdout);
  return JSON.parse(res.stdout);
}

async function show(w, id) {
  return w.json(['contacts', 'show', String(id), '--json']);
}

async function addContact(w, fields) {
  const args = ['contacts', 'add', '--json'];
  for (const [k, v] of Object.entries(fields)) args.push(`--${k}`, v);
  return (await w.json(args)).id;
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

// The first local contact linked to a Salesforce Contact.
async function linkedContact(w) {
  const all = await w.contacts();
  return all.find((c) => c.salesforce_object === 'Contact');
}

test('do-not-call cleared locally reaches salesforce', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await sync(w);
    const c = await linkedContact(w);
    await w.ok(['contacts', 'update', String(c.id), '--do-not-call', 'true',
      '--email-opt-out', 'true']);
    await sync(w);
    let rec = await sfGet(sim, token, 'Contact', c.salesforce_id,
      'DoNotCall,HasOptedOutOfEmail');
    assert.equal(rec.DoNotCall, true);
    assert.equal(rec.HasOptedOutOfEmail, true);

    await w.ok(['contacts', 'update', String(c.id), '--do-not-call', 'false']);
    const summary = await sync(w);
    assert.equal(summary.conflicts, 0);
    assert.equal(summary.pushed, 1);
    rec = await sfGet(sim, token, 'Contact', c.salesforce_id,
      'DoNotCall,HasOptedOutOfEmail');
    assert.equal(rec.DoNotCall, false);
    assert.equal(rec.HasOptedOutOfEmail, true);
    const local = await show(w, c.id);
    assert.equal(local.do_not_call, false);
    assert.equal(local.email_opt_out, true);
    // The next round brings nothing back.
    const again = await sync(w);
    assert.equal(again.conflicts, 0);
    assert.equal((await show(w, c.id)).do_not_call, false);
  });
});

test('opt-out cleared in salesforce reaches local', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await sync(w);
    const c = await linkedContact(w);
    await sfPatch(sim, token, 'Contact', c.salesforce_id,
      { HasOptedOutOfEmail: true, DoNotCall: true });
    await sync(w);
    assert.equal((await show(w, c.id)).email_opt_out, true);
    await sfPatch(sim, token, 'Contact', c.salesforce_id,
      { HasOptedOutOfEmail: false });
    const summary = await sync(w);
    assert.equal(summary.conflicts, 0);
    assert.equal(summary.pushed, 0);
    const local = await show(w, c.id);
    assert.equal(local.email_opt_out, false);
    assert.equal(local.do_not_call, true);
    const rec = await sfGet(sim, token, 'Contact', c.salesforce_id,
      'HasOptedOutOfEmail');
    assert.equal(rec.HasOptedOutOfEmail, false);
  });
});

test('first link keeps the restrictive flag', async () => {
  await withOrg(async ({ w, sim, token }) => {
    const created = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`,
      { LastName: 'Optout', Email: 'optout@example.com', DoNotCall: false });
    assert.equal(created.status, 201, created.text);
    const id = await addContact(w, { 'last-name': 'Optout',
      email: 'optout@example.com', 'do-not-call': 'true' });
    await sync(w);
    const local = await show(w, id);
    assert.equal(local.salesforce_id, created.body.id);
    assert.equal(local.do_not_call, true);
    await sync(w);
    const rec = await sfGet(sim, token, 'Contact', created.body.id, 'DoNotCall');
    assert.equal(rec.DoNotCall, true);
  });
});

test('echo of a push counts as unchanged', async () => {
  await withOrg(async ({ w }) => {
    await sync(w);
    const c = await linkedContact(w);
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Echoed']);
    const pushed = await sync(w);
    assert.equal(pushed.pushed, 1);
    const echo = await sync(w);
    assert.equal(echo.updated, 0);
    assert.ok(echo.unchanged >= 1, `unchanged ${echo.unchanged}`);
    assert.equal(echo.pulled, 0);
    const res = await w.ok(['sync']);
    assert.match(res.stdout,
      /pulled from Salesforce: 0 records \(0 created, 0 updated, 0 deleted locally\)/);
  });
});

test('delete waits while the push is off', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await w.ok(['config', 'set', 'on_local_delete', 'delete']);
    await sync(w);
    const all = await w.contacts();
    const [a, b] = all.filter((c) => c.salesforce_object === 'Contact');
    const lead = all.find((c) => c.salesforce_object === 'Lead');

    await w.ok(['config', 'set', 'direction', 'from-salesforce']);
    await w.ok(['contacts', 'delete', String(a.id)]);
    await w.ok(['contacts', 'update', String(b.id), '--title', 'Waited']);
    await sync(w);
    assert.equal((await show(w, a.id)).pending_changes, 1);
    assert.equal((await show(w, b.id)).pending_changes, 1);

    await w.ok(['config', 'set', 'direction', 'both']);
    await w.ok(['config', 'set', 'objects', 'contacts']);
    await w.ok(['contacts', 'delete', String(lead.id)]);
    await sync(w);
    assert.equal((await show(w, lead.id)).pending_changes, 1);
    let gone = await api(sim.url, token, 'GET',
      `${V}/sobjects/Contact/${a.salesforce_id}`);
    assert.equal(gone.status, 404);
    assert.equal((await sfGet(sim, token, 'Contact', b.salesforce_id,
      'Title')).Title, 'Waited');
    assert.equal((await sfGet(sim, token, 'Lead', lead.salesforce_id,
      'Id')).Id, lead.salesforce_id);

    await w.ok(['config', 'set', 'objects', 'contacts,leads']);
    await sync(w);
    gone = await api(sim.url, token, 'GET', `${V}/sobjects/Lead/${lead.salesforce_id}`);
    assert.equal(gone.status, 404);
    assert.equal((await show(w, lead.id)).pending_changes, 0);
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

test('merge into a linked record is listed', async () => {
  await withOrg(async ({ w, sim }) => {
    await sync(w);
    const [master, loser] = (await w.contacts())
      .filter((c) => c.salesforce_object === 'Contact');
    await simMerge(sim, master.salesforce_id, [loser.salesforce_id]);
    // The archive is an expected outcome: a notice, not an error.
    const summary = await sync(w);
    assert.equal(summary.errors, 0);
    assert.equal(summary.status, 'ok');
    const errors = await w.json(['errors', '--json']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].contact_id, loser.id);
    assert.equal(errors[0].salesforce_id, loser.salesforce_id);
    assert.equal(errors[0].code, 'MERGED_INTO_LINKED_RECORD');
    assert.match(errors[0].message, new RegExp(`contact ${master.id}`));
    const listing = (await w.ok(['errors'])).stdout;
    assert.match(listing, /MERGED_INTO_LINKED_RECORD \(notice\): /);
    assert.doesNotMatch(listing, /permanent/);
    const runs = await w.json(['runs', '--json']);
    assert.equal(runs[0].status, 'ok');
    assert.doesNotMatch((await w.ok(['runs'])).stdout, /partial/);
    const status = await w.json(['status', '--json', '--offline']);
    assert.equal(status.last_run.status, 'ok');
    assert.equal(status.last_run.errors, 0);
    const text = (await w.ok(['status', '--offline'])).stdout;
    assert.match(text, /^last run: +sync ok at .*, 0 errors$/m);
    // Every value starts in the same column, after the longest key.
    const columns = text.split('\n').filter((l) => /^[a-z_ ]+: +\S/.test(l))
      .map((l) => l.search(/(?<=: +)\S/));
    assert.equal(new Set(columns).size, 1, text);
    // The next round re-reads the merge and keeps the notice listed.
    await sync(w);
    assert.equal((await w.json(['errors', '--json'])).length, 1);
  });
});

test('pending edit follows a merge', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await sync(w);
    const [master, loser] = (await w.contacts())
      .filter((c) => c.salesforce_object === 'Contact');
    await w.ok(['contacts', 'update', String(loser.id), '--title', 'Kept edit',
      '--do-not-call', 'true']);
    await simMerge(sim, master.salesforce_id, [loser.salesforce_id]);
    await sync(w, { allowErrors: true });
    const survivor = await show(w, master.id);
    assert.equal(survivor.title, 'Kept edit');
    assert.equal(survivor.do_not_call, true);
    assert.equal(survivor.salesforce_id, master.salesforce_id);
    const gone = await show(w, loser.id);
    assert.equal(gone.archived, true);
    assert.equal(gone.merged_into, master.id);
    const errors = await w.json(['errors', '--json']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].contact_id, loser.id);
    assert.match(errors[0].message,
      new RegExp(`linked to contact ${master.id}; this contact was archived; its pending local changes were moved`));
    const rec = await sfGet(sim, token, 'Contact', master.salesforce_id,
      'Title,DoNotCall');
    assert.equal(rec.Title, 'Kept edit');
    assert.equal(rec.DoNotCall, true);
  });
});

test('kept delete is not created again', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await w.ok(['config', 'set', 'on_salesforce_delete', 'keep']);
    await sync(w);
    const c = await linkedContact(w);
    const del = await api(sim.url, token, 'DELETE',
      `${V}/sobjects/Contact/${c.salesforce_id}`);
    assert.equal(del.status, 204, del.text);
    await sync(w);
    let local = await show(w, c.id);
    assert.equal(local.archived, false);
    assert.equal(local.salesforce_id, null);
    assert.equal(local.deleted_in_salesforce, c.salesforce_id);
    const text = await w.ok(['contacts', 'show', String(c.id)]);
    assert.match(text.stdout, new RegExp(`deleted_in_salesforce +${c.salesforce_id}`));

    await w.ok(['contacts', 'update', String(c.id), '--title', 'After delete']);
    const summary = await sync(w);
    assert.equal(summary.pushed, 0);
    assert.equal(summary.created, 0);
    local = await show(w, c.id);
    assert.equal(local.salesforce_id, null);
    assert.equal(local.pending_changes, 0);
    const leads = await queryAll(sim.url, token,
      `SELECT Id FROM Lead WHERE LastName = '${c.last_name.replace(/'/g, "\\'")}'`);
    assert.equal(leads.records.length, 0);

    const relink = await w.ok(['contacts', 'update', String(c.id), '--relink']);
    assert.match(relink.stdout, /creates its Salesforce record again/);
    const again = await sync(w);
    assert.equal(again.pushed, 1);
    local = await show(w, c.id);
    assert.equal(local.salesforce_object, 'Lead');
    assert.equal(local.deleted_in_salesforce, undefined);
    const bad = await w.fails(['contacts', 'update', String(c.id), '--relink']);
    assert.match(bad.stderr, /has no record deleted in Salesforce/);
  });
});

test('external_id_field checked against the org', async () => {
  const simArgs = ['--generate', 'contacts=2,leads=1,accounts=1',
    '--custom-field', 'Contact.Plain__c:string:20',
    '--custom-field', 'Contact.Ext__c:string:40:extid'];
  await withOrg(async ({ w }) => {
    let res = await w.fails(['config', 'set', 'external_id_field', 'Missing__c']);
    assert.match(res.stderr,
      /external_id_field 'Missing__c' is not a field of Contact in this org: create it/);
    res = await w.fails(['config', 'set', 'external_id_field', 'Plain__c']);
    assert.match(res.stderr,
      /external_id_field 'Plain__c' of Contact is not marked External ID/);
    assert.equal((await w.ok(['config', 'get', 'external_id_field'])).stdout, '\n');
    // Leads sync too, and they lack the field.
    res = await w.fails(['config', 'set', 'external_id_field', 'Ext__c']);
    assert.match(res.stderr, /'Ext__c' is not a field of Lead/);
    await w.ok(['config', 'set', 'objects', 'contacts']);
    await w.ok(['config', 'set', 'external_id_field', 'Ext__c']);
    // Set before a connection, a wrong field fails the round at its start.
    await w.ok(['config', 'set', 'objects', 'contacts,leads']);
    const round = await w.run(['sync', '--json']);
    assert.equal(round.code, 1);
    const summary = JSON.parse(round.stdout);
    assert.equal(summary.status, 'failed');
    assert.match(summary.message, /'Ext__c' is not a field of Lead in this org/);
    assert.equal(summary.pulled, 0);
  }, simArgs);
});

test('show escapes control characters', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await sync(w);
    const c = await linkedContact(w);
    await sfPatch(sim, token, 'Contact', c.salesforce_id,
      { Title: 'VP\u001b[2Jx\tz' });
    await sync(w);
    const text = (await w.ok(['contacts', 'show', String(c.id)])).stdout;
    assert.match(text, /^title +VP\\x1b\[2Jx\\tz$/m);
    assert.equal((await show(w, c.id)).title, 'VP\u001b[2Jx\tz');
  });
});

test('contact company goes through its account', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await w.ok(['config', 'set', 'new_contacts_as', 'contact']);
    await sync(w);
    const existing = (await queryAll(sim.url, token,
      'SELECT Id, Name FROM Account ORDER BY Id LIMIT 1')).records[0];
    const a = await addContact(w, { 'last-name': 'Acc A', company: 'Zeta Widgets' });
    const b = await addContact(w, { 'last-name': 'Acc B', company: 'Zeta Widgets' });
    const c = await addContact(w, { 'last-name': 'Acc C', email: 'c@example.com' });
    const d = await addContact(w, { 'last-name': 'Acc D', company: existing.Name });
    const sfOwner = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`,
      { LastName: 'Acc E', Email: 'e@example.com' });
    assert.equal(sfOwner.status, 201, sfOwner.text);
    const e = await addContact(w, { 'last-name': 'Acc E', email: 'e@example.com',
      company: 'Local Co' });
    const first = await sync(w);
    assert.equal(first.errors, 0);
    const zeta = (await queryAll(sim.url, token,
      "SELECT Id FROM Account WHERE Name = 'Zeta Widgets'")).records;
    assert.equal(zeta.length, 1);
    const accountOf = async (id) => {
      const local = await show(w, id);
      return (await sfGet(sim, token, 'Contact', local.salesforce_id,
        'AccountId')).AccountId;
    };
    assert.equal(await accountOf(a), zeta[0].Id);
    assert.equal(await accountOf(b), zeta[0].Id);
    assert.equal(await accountOf(c), null);
    assert.equal(await accountOf(d), existing.Id);
    await sync(w);
    assert.equal((await show(w, a)).company, 'Zeta Widgets');
    assert.equal((await show(w, c)).company, null);
    // The local company of a matched Contact without Account is kept and
    // sent.
    assert.equal((await show(w, e)).salesforce_id, sfOwner.body.id);
    assert.equal((await show(w, e)).company, 'Local Co');
    const local = (await queryAll(sim.url, token,
      "SELECT Id FROM Account WHERE Name = 'Local Co'")).records;
    assert.equal(local.length, 1);
    assert.equal(await accountOf(e), local[0].Id);

    // A company change moves the Contact to another Account.
    await w.ok(['contacts', 'update', String(a), '--company', 'Omega Ltd']);
    await sync(w);
    const omega = (await queryAll(sim.url, token,
      "SELECT Id FROM Account WHERE Name = 'Omega Ltd'")).records;
    assert.equal(omega.length, 1);
    assert.equal(await accountOf(a), omega[0].Id);
    await sync(w);
    assert.equal((await show(w, a)).company, 'Omega Ltd');
    assert.equal((await sync(w)).pushed, 0);
  });
});

test('pending edit follows a conversion', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await sync(w);
    const all = await w.contacts();
    const lead = all.find((c) => c.salesforce_object === 'Lead');
    const target = (await queryAll(sim.url, token,
      'SELECT Id, AccountId FROM Contact WHERE AccountId != null LIMIT 1'))
      .records[0];
    const survivor = all.find((c) => c.salesforce_id === target.Id);
    await w.ok(['contacts', 'update', String(lead.id), '--title', 'From the lead']);
    const res = await fetch(`${sim.url}/sim/leads/${lead.salesforce_id}/convert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: target.Id, accountId: target.AccountId }),
    });
    assert.equal(res.status, 200, await res.text());
    const summary = await sync(w);
    assert.equal(summary.status, 'ok');
    assert.equal(summary.errors, 0);
    assert.equal((await show(w, survivor.id)).title, 'From the lead');
    const gone = await show(w, lead.id);
    assert.equal(gone.archived, true);
    assert.equal(gone.merged_into, survivor.id);
    const errors = await w.json(['errors', '--json']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'CONVERTED_CONTACT_LINKED');
    assert.match((await w.ok(['errors'])).stdout,
      /CONVERTED_CONTACT_LINKED \(notice\): /);
    assert.equal((await sfGet(sim, token, 'Contact', target.Id, 'Title')).Title,
      'From the lead');
  });
});

test('second sync of a workspace stops at once', async () => {
  await withOrg(async ({ w, sim }) => {
    await setFaults(sim.url, { latency: 2000 });
    const first = w.spawn(['sync']);
    // Wait until the first round holds the lock: its first request is slow.
    await sleep(700);
    const started = Date.now();
    const second = await w.fails(['sync']);
    assert.match(second.stderr, new RegExp(
      `'sfsync sync' is running on host '[^']+' as process ${first.proc.pid} since `));
    assert.ok(Date.now() - started < 1500, 'the second sync waited');
    const pull = await w.fails(['pull', 'contacts']);
    assert.match(pull.stderr, /'sfsync sync' is running on host '[^']+' as process/);
    // The kernel or the server frees the lock of a killed process.
    first.proc.kill('SIGKILL');
    await first.done;
    await setFaults(sim.url, { latency: 0 });
    await sync(w);
    await sync(w);
  });
});

// A delete that wins over an edit of the other side drops that edit, so
// the edit is listed as a conflict won by the delete.
test('edit lost to local delete listed', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await w.ok(['config', 'set', 'on_local_delete', 'delete']);
    await sync(w);
    const c = (await w.contacts()).find((x) => x.salesforce_object === 'Contact');
    await w.ok(['contacts', 'delete', String(c.id)]);
    await sfPatch(sim, token, 'Contact', c.salesforce_id,
      { Title: 'Edited after the delete' });
    const summary = await sync(w);
    assert.equal(summary.conflicts, 1);
    const gone = await api(sim.url, token, 'GET',
      `${V}/sobjects/Contact/${c.salesforce_id}`);
    assert.equal(gone.status, 404);

    const conflicts = await w.json(['conflicts', '--json']);
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0].contact_id, c.id);
    assert.equal(conflicts[0].field, 'title');
    assert.equal(conflicts[0].local_value, c.title);
    assert.equal(conflicts[0].salesforce_value, 'Edited after the delete');
    assert.equal(conflicts[0].winner, 'delete');
    assert.equal(conflicts[0].policy, 'on_local_delete');
    const text = await w.ok(['conflicts']);
    assert.match(text.stdout, /field title: delete won \(on_local_delete\)/);
  });
});

test('edit lost to Salesforce delete listed', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await sync(w);
    const c = (await w.contacts()).find((x) => x.salesforce_object === 'Contact');
    const res = await api(sim.url, token, 'DELETE',
      `${V}/sobjects/Contact/${c.salesforce_id}`);
    assert.equal(res.status, 204, res.text);
    await w.ok(['contacts', 'update', String(c.id), '--title',
      'Edited after the delete']);
    const summary = await sync(w);
    assert.equal(summary.conflicts, 1);
    const after = await show(w, c.id);
    assert.equal(after.archived, true);
    assert.equal(after.pending_changes, 0);

    const conflicts = await w.json(['conflicts', '--json']);
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0].contact_id, c.id);
    assert.equal(conflicts[0].field, 'title');
    assert.equal(conflicts[0].local_value, 'Edited after the delete');
    assert.equal(conflicts[0].salesforce_value, c.title);
    assert.equal(conflicts[0].winner, 'delete');
    assert.equal(conflicts[0].policy, 'on_salesforce_delete');
  });
});

test('re-add of kept record rejected', async () => {
  await withOrg(async ({ w, sim, token }) => {
    const id = await addContact(w, { 'first-name': 'Ines', 'last-name': 'Kept',
      email: 'ines.kept@example.com', phone: '+1 415 555 0144' });
    await sync(w);
    const linked = await show(w, id);
    assert.ok(linked.salesforce_id);
    await w.ok(['contacts', 'delete', String(id)]);
    await sync(w);
    assert.equal((await sfGet(sim, token, 'Lead', linked.salesforce_id,
      'Id')).Id, linked.salesforce_id, 'on_local_delete keep kept the Lead');

    for (const args of [['--email', 'INES.KEPT@example.com'],
      ['--first-name', 'Ines', '--phone', '(415) 555-0144']]) {
      const res = await w.fails(['contacts', 'add', '--last-name', 'Kept',
        ...args]);
      assert.match(res.stderr, new RegExp(`matches contact ${id}, which has the same`));
      assert.match(res.stderr,
        new RegExp(`deleted here while its Salesforce Lead ${linked.salesforce_id} was kept`));
      assert.match(res.stderr, /--allow-duplicate/);
    }
    await w.ok(['contacts', 'add', '--last-name', 'Kept', '--email',
      'ines.kept@example.com', '--allow-duplicate']);
    const live = (await w.contacts()).filter((c) => c.last_name === 'Kept');
    assert.equal(live.length, 1);
  });
});

test('kept record blocks import and update', async () => {
  await withOrg(async ({ w, sim, token }) => {
    const id = await addContact(w, { 'first-name': 'Hank', 'last-name': 'Kept',
      email: 'hank.kept@example.com', phone: '+1 415 555 0106' });
    await sync(w);
    const linked = await show(w, id);
    assert.ok(linked.salesforce_id);
    await w.ok(['contacts', 'delete', String(id)]);
    await sync(w);

    // An import row of the same person, by phone or by email, is rejected
    // and nothing is imported.
    for (const row of ['Hank,Kept,415 555 0106,', 'Hank,Kept,,HANK.KEPT@example.com']) {
      const csv = w.file('kept.csv', `first_name,last_name,phone,email\n${row}\n`);
      const res = await w.fails(['contacts', 'import', csv]);
      const out = res.stdout + res.stderr;
      assert.match(out, new RegExp(`matches contact ${id}, which has the same`));
      assert.match(out,
        new RegExp(`Salesforce Lead ${linked.salesforce_id} was kept`));
      assert.match(out, /remove the row/);
    }
    assert.equal((await w.contacts()).filter((c) => c.last_name === 'Kept')
      .length, 0);

    // An unlinked contact may not take the kept record's email either.
    const other = await addContact(w, { 'last-name': 'Other',
      email: 'other.kept@example.com' });
    const res = await w.fails(['contacts', 'update', String(other), '--email',
      'HANK.KEPT@example.com']);
    assert.match(res.stderr, new RegExp(`matches contact ${id}, which has the same`));
    assert.match(res.stderr, /--allow-duplicate to keep the change/);
    await sync(w);
    const leads = await queryAll(sim.url, token,
      "SELECT Id FROM Lead WHERE Email = 'hank.kept@example.com'");
    assert.equal(leads.totalSize, 1);
  });
});

test('conflict with empty side is null', async () => {
  await withOrg(async ({ w, sim, token }) => {
    await w.ok(['config', 'set', 'conflict_policy', 'local']);
    await sync(w);
    const c = await linkedContact(w);
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Kept title']);
    await sfPatch(sim, token, 'Contact', c.salesforce_id, { Title: null });
    const summary = await sync(w);
    assert.equal(summary.conflicts, 1);
    const [conflict] = await w.json(['conflicts', '--json']);
    assert.equal(conflict.local_value, 'Kept title');
    assert.ok('salesforce_value' in conflict, JSON.stringify(conflict));
    assert.equal(conflict.salesforce_value, null);
  });
});
