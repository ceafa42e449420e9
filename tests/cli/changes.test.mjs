// SPDX-License-Identifier: MIT
// Local changes through the real sfsync binary: contacts add, update,
// delete and import, their versions and pending outbox entries (from
// 'contacts show --json'), and imported contacts linked, not duplicated,
// by the next pull from a generated sfsim org.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import {
  Workdir, connectedSim, connectArgs, cleanUp, queryAll, TEST_PG,
} from './lib.mjs';

const workdirs = [];

after(() => { for (const w of workdirs) w.remove(); });

// A work directory with an initialised database and no connection: the
// integration is disabled, which must not stop local changes.
async function freshWorkdir() {
  const w = new Workdir('sfsync-changes-');
  workdirs.push(w);
  await w.ok(['init']);
  await w.ok(['config', 'set', 'direction', 'from-salesforce']);
  return w;
}

async function show(w, id) {
  return w.json(['contacts', 'show', String(id), '--json']);
}

async function total(w, extra = []) {
  const page = await w.json(['contacts', 'list', '--json', '--limit', '1',
    ...extra]);
  return page.total;
}

test('add prints the new contact', async () => {
  const w = await freshWorkdir();
  const c = await w.json(['contacts', 'add', '--first-name', 'Ann',
    '--last-name', 'Lee', '--phone', '(415) 555-2671',
    '--email', 'ann@example.com', '--do-not-call', 'yes', '--json']);
  assert.equal(c.id, 1);
  assert.equal(c.version, 1);
  assert.equal(c.pending_changes, 1);
  assert.equal(c.first_name, 'Ann');
  assert.equal(c.phone_e164, '+14155552671');
  assert.equal(c.do_not_call, true);
  assert.equal(c.title, null);
  assert.equal(c.salesforce_id, null);

  const res = await w.ok(['contacts', 'add', '--company', 'Acme',
    '--mobile-phone=+44 20 7946 0958']);
  assert.match(res.stdout, /^added contact 2 \(version 1\)$/m);
  const shown = await show(w, 2);
  assert.equal(shown.company, 'Acme');
  assert.equal(shown.mobile_phone_e164, '+442079460958');
  assert.equal(shown.pending_changes, 1);
  assert.equal(await total(w), 2);
});

test('add rejects invalid values', async () => {
  const w = await freshWorkdir();
  const cases = [
    [['--last-name', 'L', '--first-name', 'x'.repeat(41)],
      /field 'first_name' value 'x{40}\.\.\.' is 41 characters long; the maximum is 40/],
    [['--email', 'not-an-email'],
      /field 'email' value 'not-an-email' is not a valid email address/],
    [['--last-name', 'Lee', '--email-opt-out', 'maybe'],
      /invalid --email-opt-out 'maybe': give true or false/],
    [['--first-name', 'Ann', '--city', 'Paris'],
      /needs at least a last name, a company, an email or a phone/],
    [[], /needs at least a last name/],
    [['Lee'], /unexpected argument 'Lee'/],
  ];
  for (const [args, message] of cases) {
    const res = await w.fails(['contacts', 'add', ...args]);
    assert.match(res.stderr, message, `contacts add ${args.join(' ')}`);
  }
  assert.equal(await total(w, ['--all']), 0);
});

test('update changes only given fields', async () => {
  const w = await freshWorkdir();
  await w.ok(['contacts', 'add', '--first-name', 'Ann', '--last-name',
    'Lee', '--title', 'Engineer', '--city', 'Oakland']);
  const before = await show(w, 1);

  const c = await w.json(['contacts', 'update', '1', '--title', 'VP',
    '--phone', '+1 415 555 0100', '--json']);
  assert.equal(c.version, 2);
  assert.equal(c.pending_changes, 2);
  assert.equal(c.changed, true);
  assert.deepEqual(c.changed_fields, ['title', 'phone']);
  assert.equal(c.title, 'VP');
  assert.equal(c.phone_e164, '+14155550100');
  for (const key of ['first_name', 'last_name', 'city', 'email', 'created_at']) {
    assert.equal(c[key], before[key], key);
  }

  const res = await w.ok(['contacts', 'update', '1', '--city', '',
    '--email-opt-out', 'true']);
  assert.match(res.stdout, /^updated contact 1 to version 3: city, email_opt_out$/m);
  const cleared = await show(w, 1);
  assert.equal(cleared.city, null);
  assert.equal(cleared.email_opt_out, true);
  assert.equal(cleared.title, 'VP');
  assert.equal(cleared.pending_changes, 3);
});

test('update that changes nothing writes nothing', async () => {
  const w = await freshWorkdir();
  await w.ok(['contacts', 'add', '--last-name', 'Lee', '--title', 'VP']);
  const res = await w.ok(['contacts', 'update', '1', '--title', 'VP']);
  assert.match(res.stdout, /contact 1 unchanged: it already has the given values \(version 1\)/);
  const c = await w.json(['contacts', 'update', '1', '--last-name', 'Lee',
    '--do-not-call', 'no', '--json']);
  assert.equal(c.changed, false);
  assert.deepEqual(c.changed_fields, []);
  const shown = await show(w, 1);
  assert.equal(shown.version, 1);
  assert.equal(shown.pending_changes, 1);
  assert.equal(shown.updated_at, shown.created_at);
});

test('update rejections write nothing', async () => {
  const w = await freshWorkdir();
  await w.ok(['contacts', 'add', '--last-name', 'Lee']);
  const cases = [
    [['1', '--last-name', ''], /contact 1 not updated: a contact needs at least/],
    [['1', '--state', 's'.repeat(81)], /field 'state' value 's{40}\.\.\.' is 81 characters long; the maximum is 80/],
    [['1', '--do-not-call', 'sometimes'], /invalid --do-not-call 'sometimes'/],
    [['1'], /no field given/],
    [['7', '--title', 'VP'], /no contact 7 in workspace 'default'/],
    [['abc', '--title', 'VP'], /invalid contact id 'abc'/],
    [['--title', 'VP'], /usage: sfsync contacts update ID/],
  ];
  for (const [args, message] of cases) {
    const res = await w.fails(['contacts', 'update', ...args]);
    assert.match(res.stderr, message, `contacts update ${args.join(' ')}`);
  }
  const c = await show(w, 1);
  assert.equal(c.version, 1);
  assert.equal(c.pending_changes, 1);
  assert.equal(c.last_name, 'Lee');
});

test('stale version is a conflict', async () => {
  const w = await freshWorkdir();
  await w.ok(['contacts', 'add', '--last-name', 'Lee']);
  await w.ok(['contacts', 'update', '1', '--title', 'VP']);
  const res = await w.fails(['contacts', 'update', '1', '--title', 'CEO',
    '--if-version', '1']);
  assert.match(res.stderr,
    /contact 1 is at version 2, not 1 as --if-version gave, so nothing was written: check it with 'sfsync contacts show 1' and repeat the change with --if-version 2/);
  const c = await show(w, 1);
  assert.equal(c.title, 'VP');
  assert.equal(c.version, 2);
  assert.equal(c.pending_changes, 2);
  const ok = await w.json(['contacts', 'update', '1', '--title', 'CEO',
    '--if-version', '2', '--json']);
  assert.equal(ok.version, 3);
});

test('delete archives the contact', async () => {
  const w = await freshWorkdir();
  await w.ok(['contacts', 'add', '--last-name', 'Lee']);
  await w.ok(['contacts', 'add', '--last-name', 'Ray']);
  const res = await w.ok(['contacts', 'delete', '1']);
  assert.match(res.stdout, /^deleted contact 1 \(archived at version 2\)/m);

  const listed = await w.json(['contacts', 'list', '--json']);
  assert.deepEqual(listed.contacts.map((c) => c.id), [2]);
  for (const flag of ['--all', '--include-archived']) {
    const all = await w.json(['contacts', 'list', flag, '--json']);
    assert.deepEqual(all.contacts.map((c) => [c.id, c.archived]),
      [[1, true], [2, false]], flag);
  }
  const text = await w.ok(['contacts', 'list', '--all']);
  assert.match(text.stdout, /^1 +Lee .* deleted$/m);

  const c = await show(w, 1);
  assert.equal(c.archived, true);
  assert.equal(c.version, 2);
  assert.equal(c.pending_changes, 2);

  const again = await w.json(['contacts', 'delete', '1', '--json']);
  assert.equal(again.changed, false);
  assert.equal(again.version, 2);
  assert.equal((await show(w, 1)).pending_changes, 2);
  const upd = await w.fails(['contacts', 'update', '1', '--title', 'VP']);
  assert.match(upd.stderr, /contact 1 is deleted \(archived\), so it cannot be updated/);
  const stale = await w.fails(['contacts', 'delete', '2', '--if-version', '5']);
  assert.match(stale.stderr, /contact 2 is at version 1, not 5 as --if-version gave/);
  assert.equal((await show(w, 2)).archived, false);
  const missing = await w.fails(['contacts', 'delete', '9']);
  assert.match(missing.stderr, /no contact 9/);
});

const GOOD_CSV = [
  'First Name,Last Name,Email,Phone Number,Do Not Call,Notes',
  'Ann,Lee,ann@example.com,(415) 555-2671,yes,x',
  '"Bob ""Bobby""","Ray, Jr.",,"+44 20 7946 0958",,"two',
  'lines"',
  'Cy,Kim,cy@example.com,,0,',
  '',
].join('\r\n');

test('import unknown column lists accepted ones', async () => {
  const w = await freshWorkdir();
  const file = w.file('good.csv', GOOD_CSV);
  const res = await w.fails(['contacts', 'import', file]);
  assert.match(res.stderr, /unknown column 'Notes' \(column 6\)/);
  assert.match(res.stderr, /--ignore-unknown-columns/);
  assert.match(res.stderr, /^ {2}first_name \(First Name\)$/m);
  assert.match(res.stderr, /^ {2}postal_code \(Zip, Zip Code/m);
  assert.equal(await total(w), 0);
});

test('import writes contacts and outbox', async () => {
  const w = await freshWorkdir();
  const file = w.file('good.csv', GOOD_CSV);
  const dry = await w.json(['contacts', 'import', file, '--dry-run',
    '--ignore-unknown-columns', '--json']);
  assert.equal(dry.dry_run, true);
  assert.equal(dry.valid, 3);
  assert.equal(dry.imported, 0);
  assert.equal(await total(w), 0);

  const res = await w.ok(['contacts', 'import', file,
    '--ignore-unknown-columns']);
  assert.match(res.stdout, /^ignored columns: 'Notes'$/m);
  assert.match(res.stdout, /^imported 3 contacts from '.*good\.csv'$/m);
  const local = await w.contacts();
  assert.deepEqual(local.map((c) => [c.first_name, c.last_name]),
    [['Ann', 'Lee'], ['Bob "Bobby"', 'Ray, Jr.'], ['Cy', 'Kim']]);
  assert.equal(local[0].do_not_call, true);
  assert.equal(local[0].phone_e164, '+14155552671');
  assert.equal(local[1].phone_e164, '+442079460958');
  for (const c of local) {
    assert.equal(c.version, 1);
    assert.equal(c.pending_changes, 1, `listed contact ${c.id}`);
    assert.equal((await show(w, c.id)).pending_changes, 1, `contact ${c.id}`);
  }
});

test('import rejects and reports bad rows', async () => {
  const w = await freshWorkdir();
  const csv = [
    'first_name,last_name,email,do_not_call', // line 1
    'Ann,Lee,ann@example.com,no',             // 2
    `${'n'.repeat(45)},Long,,`,               // 3
    'Bo,Ray,bo@,',                            // 4
    'Di,"multi',                              // 5
    'line",,maybe',                           // 6
    'Ed,Lo',                                  // 7
    ',,,',                                    // 8
    'Flo,,,',                                 // 9
    'Gus,Ames,gus@example.com,1',             // 10
    '',
  ].join('\n');
  const file = w.file('bad.csv', csv);
  const res = await w.run(['contacts', 'import', file, '--json']);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr,
    /6 of 8 rows of '.*bad\.csv' rejected, so nothing is imported; fix them, or give --skip-invalid to import the 2 valid rows/);
  const report = JSON.parse(res.stdout);
  assert.equal(report.imported, 0);
  assert.equal(report.rows, 8);
  assert.equal(report.rejected_count, 6);
  assert.deepEqual(report.rejected.map((r) => r.line), [3, 4, 5, 7, 8, 9]);
  assert.match(report.rejected[0].reason, /'first_name' value 'n{40}\.\.\.' is 45 characters long; the maximum is 40/);
  assert.match(report.rejected[1].reason, /'bo@' is not a valid email address/);
  assert.match(report.rejected[2].reason, /'do_not_call' takes true or false, not 'maybe'/);
  assert.match(report.rejected[3].reason, /wrong number of columns: the header has 4, this row 2/);
  assert.equal(report.rejected[4].reason, 'empty row');
  assert.match(report.rejected[5].reason, /needs at least a last name/);
  assert.equal(await total(w, ['--all']), 0, 'nothing half-imported');

  const text = await w.run(['contacts', 'import', file]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^line 8: empty row$/m);

  const skip = await w.json(['contacts', 'import', file, '--skip-invalid',
    '--json']);
  assert.equal(skip.imported, 2);
  assert.equal(skip.rejected.length, 6);
  const local = await w.contacts();
  assert.deepEqual(local.map((c) => c.last_name), ['Lee', 'Ames']);
});

test('import of a malformed file', async () => {
  const w = await freshWorkdir();
  const cases = [
    ['last_name\nLee\nRa"y\n', /not valid CSV in the row starting at line 3/],
    ['last_name\nLee\n"Ray\n', /has no closing quote/],
    ['', /is empty; its first row must name the columns/],
    ['\uFEFF\n', /is empty/],
    ['phone,Phone Number\n1,2\n', /both select field 'phone'/],
  ];
  for (const [csv, message] of cases) {
    const file = w.file('malformed.csv', csv);
    const res = await w.fails(['contacts', 'import', file, '--skip-invalid']);
    assert.match(res.stderr, message, JSON.stringify(csv));
  }
  const missing = await w.fails(['contacts', 'import',
    path.join(w.dir, 'nope.csv')]);
  assert.match(missing.stderr, /cannot open '.*nope\.csv': No such file/);
  assert.equal(await total(w, ['--all']), 0);
});

const shared = process.env.SFSYNC_SHARED_DATA;
const report = shared && path.join(shared, 'trailhead', 'lwc-recipes',
  'Accounts-Contacts.csv');
const noReport = !shared ? 'SFSYNC_SHARED_DATA is not set'
  : !fs.existsSync(report) ? `${report} is missing` : false;

test('import of a Salesforce report export', { skip: noReport }, async () => {
  // The export starts with a UTF-8 BOM, names columns "Contact: Last Name",
  // and has rows of Accounts without Contacts, with 3 cells of 9.
  const w = await freshWorkdir();
  const strict = await w.fails(['contacts', 'import', report]);
  assert.match(strict.stderr, /unknown column 'Account: Type' \(column 2\)/);
  const res = await w.json(['contacts', 'import', report, '--json',
    '--ignore-unknown-columns', '--skip-invalid']);
  assert.deepEqual(res.unknown_columns,
    ['Account: Type', 'Account: Phone', 'Contact: Picture']);
  assert.equal(res.rows, 14);
  assert.equal(res.imported, 6);
  assert.equal(res.rejected_count, 8);
  for (const r of res.rejected) {
    assert.match(r.reason, /wrong number of columns: the header has 9, this row 3/);
  }
  const local = await w.contacts();
  assert.equal(local.length, 6);
  assert.deepEqual([local[0].company, local[0].first_name, local[0].last_name,
    local[0].title, local[0].email, local[0].phone_e164],
  ['Alpha Dynamics', 'Amy', 'Taylor', 'VP of Engineering', 'amy@demo.net',
    '+14152568563']);
});

// 100,000 rows on SQLite; 20,000 on PostgreSQL, where each row's three
// lookups are round trips to the server.
const BIG_ROWS = TEST_PG ? 20000 : 100000;

test(`import of ${BIG_ROWS} rows`, async (t) => {
  const w = await freshWorkdir();
  const lines = ['first_name,last_name,email,phone,mobile,city,do_not_call'];
  for (let i = 0; i < BIG_ROWS; i++) {
    lines.push(`F${i},"Last, ${i}",u${i}@example.com,(415) 555-${String(i % 10000).padStart(4, '0')},`
      + `+1 650 555 ${String(i % 10000).padStart(4, '0')},"San Francisco",${i % 2}`);
  }
  const file = w.file('big.csv', `${lines.join('\n')}\n`);
  const started = Date.now();
  // Each row is matched against the stored contacts by email and both
  // phones, which an AddressSanitizer build runs several times slower.
  const res = await w.json(['contacts', 'import', file, '--json'],
    { timeoutMs: 240000 });
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`${BIG_ROWS} rows with 2 phones each imported in ${seconds.toFixed(1)} s`);
  assert.equal(res.imported, BIG_ROWS);
  assert.equal(await total(w), BIG_ROWS);
  const last = await show(w, BIG_ROWS);
  assert.equal(last.last_name, `Last, ${BIG_ROWS - 1}`);
  assert.equal(last.mobile_phone_e164, '+16505559999');
});

// The E.164 forms of each record's phones and its email, keyed by record
// id, as sfsync normalises them: read from a pull into a scratch database,
// since the generator writes many numbers in national formats.
async function normalizedRecords(sim) {
  const scratch = new Workdir('sfsync-changes-scratch-');
  workdirs.push(scratch);
  await scratch.ok(['init']);
  await scratch.ok(connectArgs(scratch, sim.url));
  await scratch.ok(['pull', 'contacts']);
  return new Map((await scratch.contacts()).map((c) => [c.salesforce_id, {
    phone: c.phone_e164,
    phones: [c.phone_e164, c.mobile_phone_e164].filter(Boolean),
    email: c.email && c.email.toLowerCase(),
  }]));
}

test('import then pull links, not duplicates', async () => {
  const env = await connectedSim(['--generate', 'contacts=200,accounts=10']);
  try {
    const { sim, w, token } = env;
    const remote = await queryAll(sim.url, token,
      'SELECT Id, LastName, Title, Phone, MobilePhone, Email, MailingCountry FROM Contact ORDER BY Id');
    assert.equal(remote.totalSize, 200);
    const normal = await normalizedRecords(sim);
    assert.equal(normal.size, 200);

    // Use records whose phone and email no other record shares, so that
    // each imported row has exactly one match.
    const uses = new Map();
    const note = (key) => uses.set(key, (uses.get(key) || 0) + 1);
    for (const n of normal.values()) {
      n.phones.forEach((p) => note(`p${p}`));
      if (n.email) note(`e${n.email}`);
    }
    const unique = remote.records.filter((r) => {
      const n = normal.get(r.Id);
      return n.phone && n.email
        && n.phones.every((p) => uses.get(`p${p}`) === 1)
        && uses.get(`e${n.email}`) === 1;
    });
    assert.ok(unique.length >= 60, `only ${unique.length} unique records`);
    const byPhone = unique.slice(0, 20);
    const byEmail = unique.slice(20, 40);
    const byBoth = unique.slice(40, 60);
    // The country goes with the phone, because a national number is read
    // in the contact's own country.
    const rows = ['Last Name,Email,Phone,Title,Country'];
    const quote = (s) => `"${(s || '').replace(/"/g, '""')}"`;
    // The rows matched by email have other last names than Salesforce's,
    // so only the email can match them. A phone alone links only a contact
    // of the same last name, so the rows matched by phone keep the
    // record's. Under conflict_policy salesforce the pull takes the values
    // that Salesforce has and keeps the local title where Salesforce has
    // none.
    const country = (r) => quote(r.MailingCountry);
    for (const r of byPhone) {
      rows.push(`${quote(r.LastName)},,${quote(r.Phone)},Agent,${country(r)}`);
    }
    for (const r of byEmail) {
      rows.push(`Local,${quote(r.Email.toUpperCase())},,Agent,${country(r)}`);
    }
    for (const r of byBoth) {
      rows.push(`Local,${quote(r.Email)},${quote(r.Phone)},Agent,${country(r)}`);
    }
    const file = w.file('leads.csv', `${rows.join('\n')}\n`);
    const imported = await w.json(['contacts', 'import', file, '--json']);
    assert.equal(imported.imported, 60);

    await w.ok(['config', 'set', 'conflict_policy', 'salesforce']);
    const sum = await w.json(['pull', 'contacts', '--json']);
    assert.equal(sum.total, 200);
    assert.equal(sum.created, 140);
    assert.equal(sum.updated, 60);
    assert.equal(sum.errors, 0);

    const local = await w.contacts();
    assert.equal(local.length, 200, 'an imported contact was duplicated');
    const linked = new Set(local.map((c) => c.salesforce_id));
    assert.equal(linked.size, 200);
    const expected = [...byPhone, ...byEmail, ...byBoth];
    for (let i = 0; i < 60; i++) {
      const c = local[i];
      assert.equal(c.id, i + 1);
      assert.equal(c.salesforce_id, expected[i].Id, `imported contact ${c.id}`);
      assert.equal(c.salesforce_object, 'Contact');
      assert.equal(c.last_name, expected[i].LastName);
      assert.equal(c.title, expected[i].Title ?? 'Agent');
    }
  } finally {
    await cleanUp(env);
  }
});

test('list shows invalid phones as typed', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    // Read as a US number, this French national number is not valid, so
    // its E.164 form is a guess that an agent must not dial.
    const guess = await w.json(['contacts', 'add', '--json', '--last-name', 'Dupont',
      '--phone', '04 08 26 09 06']);
    assert.equal(guess.phone_valid, false);
    const good = await w.json(['contacts', 'add', '--json', '--last-name', 'Ng',
      '--phone', '(415) 555-2671']);
    assert.equal(good.phone_valid, true);
    const res = await w.ok(['contacts', 'list']);
    assert.match(res.stdout, /Dupont\s+04 08 26 09 06 /);
    assert.doesNotMatch(res.stdout, /\+10408260906/);
    assert.match(res.stdout, /Ng\s+\+14155552671 /);
  } finally {
    w.remove();
  }
});
