// SPDX-License-Identifier: MIT
// contacts import against contacts already stored: rows that match one
// contact by email or phone update it, rows of one person in a file are
// merged, ambiguous rows are rejected, and the next sync creates no
// second Salesforce record. Also the cleaning of typed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, clientCredentials, Workdir, connectArgs, api, count, V,
} from './lib.mjs';

async function withOrg(fn) {
  const sim = await startSim(['--generate', 'contacts=3,leads=0,accounts=1']);
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

async function syncOk(w) {
  const res = await w.run(['sync', '--json']);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  return JSON.parse(res.stdout);
}

test('import updates a stored contact', async () => {
  await withOrg(async ({ sim, w, token }) => {
    await syncOk(w);
    const linked = (await w.contacts()).find((c) => c.email);
    const file = w.file('people.csv', [
      'email,last_name,title,phone,mobile_phone',
      `${linked.email.toUpperCase()},,Imported title,,`,
      'ada@example.com,Lovelace,Countess,+1 415 555 0100,',
      'ADA@example.com,,,,+1 415 555 0101',
      ',Lovelace,,(415) 555-0100,',
    ].join('\n'));
    const dry = await w.json(['contacts', 'import', file, '--dry-run', '--json']);
    assert.equal(dry.valid, 4);
    assert.equal(dry.imported, 0);
    const res = await w.json(['contacts', 'import', file, '--json']);
    assert.equal(res.imported, 1);
    assert.equal(res.updated, 2);
    assert.equal(res.unchanged, 1);
    const all = await w.contacts();
    assert.equal(all.length, 4);
    const ada = all.filter((c) => c.last_name === 'Lovelace');
    assert.equal(ada.length, 1);
    assert.equal(ada[0].title, 'Countess');
    assert.equal(ada[0].mobile_phone, '+1 415 555 0101');
    // The same number written another way changes nothing.
    assert.equal(ada[0].phone, '+1 415 555 0100');
    const again = await w.json(['contacts', 'show', String(linked.id), '--json']);
    assert.equal(again.title, 'Imported title');
    assert.equal(again.last_name, linked.last_name);
    assert.equal(again.email, linked.email);
    assert.equal(again.pending_changes, 1);

    await syncOk(w);
    assert.equal(await count(sim.url, token,
      "SELECT count() FROM Lead WHERE LastName = 'Lovelace'"), 1);
    assert.equal(await count(sim.url, token, 'SELECT count() FROM Contact'), 3);
    const rec = await api(sim.url, token, 'GET',
      `${V}/sobjects/Contact/${linked.salesforce_id}?fields=Title`);
    assert.equal(rec.body.Title, 'Imported title');

    // Importing the same file again changes nothing and creates nothing.
    const twice = await w.json(['contacts', 'import', file, '--json']);
    assert.equal(twice.imported, 0);
    assert.equal(twice.updated, 0);
    assert.equal(twice.unchanged, 4);
    const text = await w.ok(['contacts', 'import', file]);
    assert.match(text.stdout, /0 rows updated existing contacts, 4 matched contacts without changing them/);
    assert.equal((await w.contacts()).length, 4);
  });
});

test('import row sharing only a phone added', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    const bob = (await w.json(['contacts', 'add', '--json', '--first-name',
      'Bob', '--last-name', 'Jones', '--phone', '+1 415 555 0177'])).id;
    const file = w.file('people.csv', [
      'first_name,last_name,phone,title',
      'Alice,Smith,(415) 555-0177,Buyer',
      'Carol,Jones,(415) 555-0177,Clerk',
      'Bob,Jones,415-555-0177,Manager',
    ].join('\n'));
    const dry = await w.ok(['contacts', 'import', file, '--dry-run']);
    assert.match(dry.stdout, new RegExp(`^line 4: would update contact ${bob}$`, 'm'));
    const res = await w.json(['contacts', 'import', file, '--json']);
    assert.equal(res.imported, 2);
    assert.equal(res.updated, 1);
    assert.equal(res.updated_row_count, 1);
    assert.deepEqual(res.updated_rows, [{ line: 4, contact_id: bob }]);
    const all = await w.contacts();
    assert.equal(all.length, 3);
    const stored = all.find((c) => c.id === bob);
    assert.equal(stored.first_name, 'Bob');
    assert.equal(stored.last_name, 'Jones');
    assert.equal(stored.title, 'Manager');
    const alice = all.find((c) => c.first_name === 'Alice');
    assert.equal(alice.last_name, 'Smith');
    assert.equal(alice.title, 'Buyer');
    const carol = all.find((c) => c.first_name === 'Carol');
    assert.equal(carol.last_name, 'Jones');
    assert.equal(carol.title, 'Clerk');

    // The text report names the line and the contact it updated.
    const again = w.file('again.csv',
      'first_name,last_name,phone,title\nBob,Jones,(415) 555-0177,Director\n');
    const text = await w.ok(['contacts', 'import', again]);
    assert.match(text.stdout, new RegExp(`^line 2: updated contact ${bob}$`, 'm'));
    assert.match(text.stdout, /^1 row updated an existing contact, 0 matched/m);
  } finally {
    w.remove();
  }
});

test('import rejects an ambiguous row', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    const a = (await w.json(['contacts', 'add', '--json', '--last-name', 'A',
      '--email', 'a@example.com'])).id;
    const b = (await w.json(['contacts', 'add', '--json', '--last-name', 'B',
      '--phone', '+1 415 555 0199'])).id;
    const file = w.file('both.csv',
      'email,last_name,phone,title\na@example.com,B,+1 415 555 0199,Both\n');
    const res = await w.fails(['contacts', 'import', file, '--json']);
    const out = JSON.parse(res.stdout);
    assert.equal(out.rejected_count, 1);
    assert.match(out.rejected[0].reason,
      new RegExp(`matches 2 contacts by email or phone \\(contact ${a} and contact ${b}\\)`));
    assert.equal((await w.contacts()).length, 2);
    const help = await w.ok(['contacts', 'import', '--help']);
    assert.match(help.stdout, /rows\s+of one person\s+are merged into one contact/);
  } finally {
    w.remove();
  }
});

test('ambiguous row names earlier lines', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    const file = w.file('nox.csv', 'first_name,last_name,phone,title,email\n'
      + 'Nia,Nox,2065550301,,\n'
      + 'Nia,Nox,(206) 555-0301,Boss,\n'
      + 'Ola,Nox,206 555 0301,Other,\n'
      + ',Nox,2065550301,,nia@nox.example\n');
    const res = await w.fails(['contacts', 'import', file, '--json']);
    const out = JSON.parse(res.stdout);
    assert.equal(out.rejected_count, 1);
    assert.equal(out.rejected[0].line, 5);
    assert.match(out.rejected[0].reason, /matches 2 contacts by email or phone \(the contact of line 2 and the contact of line 4\)/);
    assert.equal((await w.contacts()).length, 0);
  } finally {
    w.remove();
  }
});

test('typed values trimmed and checked', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    const c = await w.json(['contacts', 'add', '--json', '--last-name', '  Ng ',
      '--title', '\tVP\n']);
    assert.equal(c.last_name, 'Ng');
    assert.equal(c.title, 'VP');
    const bad = await w.fails(['contacts', 'update', String(c.id),
      '--title', 'a\u0001b']);
    assert.match(bad.stderr,
      /field 'title' contains the control character 0x01; remove it/);
    const file = w.file('ctl.csv', 'last_name,city\n" Kim ",Se\u0007oul\n');
    const res = await w.fails(['contacts', 'import', file, '--json']);
    assert.match(JSON.parse(res.stdout).rejected[0].reason, /field 'city' contains the control character 0x07/);
  } finally {
    w.remove();
  }
});

test('import lists every bad field of a row', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    const file = w.file('bad.csv',
      `last_name,email,title,city\nX,not-an-email,${'t'.repeat(200)},A\u0002B\n`);
    const res = await w.fails(['contacts', 'import', file, '--json']);
    const reason = JSON.parse(res.stdout).rejected[0].reason;
    assert.match(reason, /field 'city' contains the control character 0x02/);
    assert.match(reason, /field 'title' value '.*' is 200 characters long/);
    assert.match(reason, /'not-an-email'/);
    assert.equal(reason.match(/field '/g).length, 3, reason);
  } finally {
    w.remove();
  }
});
