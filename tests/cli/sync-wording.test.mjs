// SPDX-License-Identifier: MIT
// What the commands of the two-way sync print and refuse, against a real
// sfsim: duplicate contacts, the sync summary and its counts, Salesforce's
// 503 message, errors retry, the --owner help, connect, opt-outs kept by an
// import and a change of default_region.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, Workdir, connectArgs, clientCredentials, queryAll, setFaults,
} from './lib.mjs';

// A fresh org, a connected and synced work directory and a token for the
// org's API.
async function withOrg(fn, simArgs = []) {
  const sim = await startSim(['--generate', 'contacts=6,leads=3,accounts=2',
    ...simArgs]);
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['sync', '--json']);
    const { access_token: token } = await clientCredentials(sim.url);
    await fn({ sim, w, token });
  } finally {
    w.remove();
    await sim.stop();
  }
}

// A work directory without a Salesforce connection.
async function withWorkdir(fn) {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await fn(w);
  } finally {
    w.remove();
  }
}

async function show(w, id) {
  return w.json(['contacts', 'show', String(id), '--json']);
}

async function simPatch(sim, token, object, id, body) {
  const res = await fetch(`${sim.url}/services/data/v60.0/sobjects/${object}/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 204, await res.text());
}

async function simMerge(sim, masterId, ids) {
  const res = await fetch(`${sim.url}/sim/merge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ masterId, ids }),
  });
  assert.equal(res.status, 200, await res.text());
}

test('contacts add rejects duplicate email', async () => {
  await withWorkdir(async (w) => {
    const first = await w.json(['contacts', 'add', '--json', '--last-name',
      'Okafor', '--email', 'chi@example.com']);
    const res = await w.fails(['contacts', 'add', '--last-name', 'Okafor',
      '--email', 'Chi@Example.COM']);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, new RegExp(`field 'email' matches contact ${first.id}, `
      + "which has the same email 'Chi@Example.COM'"));
    assert.match(res.stderr, new RegExp(`'sfsync contacts update ${first.id} `));
    assert.match(res.stderr, /--allow-duplicate/);
    assert.equal((await w.contacts()).length, 1, 'nothing was added');

    const again = await w.json(['contacts', 'add', '--json', '--last-name',
      'Okafor', '--email', 'chi@example.com', '--allow-duplicate']);
    assert.notEqual(again.id, first.id);
    assert.equal((await w.contacts()).length, 2);
  });
});

test('contacts add rejects duplicate phone', async () => {
  await withWorkdir(async (w) => {
    const first = await w.json(['contacts', 'add', '--json', '--last-name',
      'Haddad', '--mobile-phone', '+1 415 555 0132']);
    const res = await w.fails(['contacts', 'add', '--last-name', 'Haddad',
      '--phone', '(415) 555-0132']);
    assert.match(res.stderr, new RegExp(`field 'phone' matches contact ${first.id}, `
      + "which has the same phone number \\(E.164\\) '\\+14155550132'"));
    // Colleagues sharing a switchboard number are two people.
    await w.ok(['contacts', 'add', '--last-name', 'Lund', '--email',
      'kari@example.com', '--phone', '+1 415 555 0133']);
    await w.ok(['contacts', 'add', '--last-name', 'Berg', '--email',
      'ola@example.com', '--phone', '+1 415 555 0133']);
    // Without emails, other names make them two people too.
    await w.ok(['contacts', 'add', '--first-name', 'Alice', '--last-name',
      'Smith', '--phone', '(415) 555-0177']);
    await w.ok(['contacts', 'add', '--first-name', 'Bob', '--last-name',
      'Jones', '--phone', '+1 415 555 0177']);
    await w.ok(['contacts', 'add', '--first-name', 'Bob', '--last-name',
      'Smith', '--phone', '+1 415 555 0177']);
    const same = await w.fails(['contacts', 'add', '--last-name', 'SMITH',
      '--phone', '415-555-0177']);
    assert.match(same.stderr, /field 'phone' matches contact \d+/);
    assert.equal((await w.contacts()).length, 6);
  });
});

test('sync summary separates pull and push', async () => {
  await withOrg(async ({ sim, w, token }) => {
    const [a, b] = (await w.contacts())
      .filter((c) => c.salesforce_object === 'Contact');
    await simPatch(sim, token, 'Contact', a.salesforce_id, { Title: 'Remote' });
    await w.ok(['contacts', 'update', String(b.id), '--title', 'Local']);
    await w.ok(['contacts', 'add', '--last-name', 'Newlocal', '--phone',
      '+1 206 555 0181']);
    const res = await w.ok(['sync']);
    const lines = res.stdout.split('\n');
    assert.equal(lines[0], 'sync ok');
    assert.equal(lines[1], '  pulled from Salesforce: 1 record (0 created, '
      + '1 updated, 0 deleted locally), 0 conflicts');
    assert.equal(lines[2], '  pushed to Salesforce:   2 records (1 created, '
      + '1 updated, 0 deleted in Salesforce)');
    assert.match(lines[3], /^ {2}0 errors, \d+ API calls$/);

    const settled = await w.json(['sync', '--json']);
    assert.equal(settled.push.records, 0);
    await simPatch(sim, token, 'Contact', a.salesforce_id, { Title: 'Again' });
    const sum = await w.json(['sync', '--json']);
    assert.equal(sum.pull.records, 1);
    assert.equal(sum.pull.updated, 1);
    assert.equal(sum.push.records, 0);
    assert.equal(sum.push.created, 0);
    assert.equal(sum.pulled, 1, 'the flat totals stay');
  });
});

test('failed round counts its calls', async () => {
  await withOrg(async ({ sim, w, token }) => {
    const made = await w.json(['contacts', 'add', '--json', '--last-name',
      'Lostreply', '--phone', '+1 206 555 0962']);
    await w.ok(['config', 'set', 'direction', 'to-salesforce']);
    await setFaults(sim.url, { drop: 1 });
    const lost = await w.run(['sync', '--json']);
    await setFaults(sim.url, { drop: 0 });
    assert.equal(lost.code, 1);
    const failed = JSON.parse(lost.stdout);
    assert.equal(failed.status, 'failed');
    assert.ok(failed.api_calls >= 1, `api_calls ${failed.api_calls}`);
    const sent = await queryAll(sim.url, token,
      "SELECT Id FROM Lead WHERE LastName = 'Lostreply'");
    assert.equal(sent.totalSize, 1, 'the create was applied');

    // The lookup that finds the lost create is no pull.
    const round = await w.json(['sync', '--json']);
    assert.equal(round.pulled, 0);
    assert.equal(round.pull.records, 0);
    assert.equal(round.updated, 0);
    assert.equal(round.recovered, 1);
    const text = await w.run(['sync']);
    assert.doesNotMatch(text.stdout, /linked/);
    const linked = await show(w, made.id);
    assert.equal(linked.salesforce_id, sent.records[0].Id);
  });
});

test('upsert create counted as created', async () => {
  await withOrg(async ({ w }) => {
    await w.ok(['config', 'set', 'objects', 'contacts']);
    await w.ok(['config', 'set', 'new_contacts_as', 'contact']);
    await w.ok(['config', 'set', 'external_id_field', 'Ext__c']);
    await w.ok(['contacts', 'add', '--last-name', 'Upsert', '--email',
      'up@example.com']);
    const sum = await w.json(['sync', '--json']);
    assert.equal(sum.push.records, 1);
    assert.equal(sum.push.created, 1);
    assert.equal(sum.push.updated, 0);
  }, ['--custom-field', 'Contact.Ext__c:string:40:extid']);
});

test('503 message gives advice once', async () => {
  await withOrg(async ({ sim, w }) => {
    await setFaults(sim.url, { unavailable: 1 });
    const res = await w.run(['sync']);
    await setFaults(sim.url, { unavailable: 0 });
    assert.equal(res.code, 1);
    const line = res.stderr.split('\n').find((l) => l.startsWith('sfsync: sync failed'));
    assert.ok(line, res.stderr);
    assert.match(line, /503 SERVER_UNAVAILABLE/);
    assert.equal(line.match(/try again later/gi).length, 1, line);
  });
});

test('errors retry skips fold notices', async () => {
  await withOrg(async ({ sim, w }) => {
    const [master, loser, other] = (await w.contacts())
      .filter((c) => c.salesforce_object === 'Contact');
    // An owner that names no User of sfsim is a permanent push error.
    await w.ok(['contacts', 'update', String(other.id), '--owner',
      '005000000000991']);
    await w.run(['sync', '--json']);
    await simMerge(sim, master.salesforce_id, [loser.salesforce_id]);
    await w.run(['sync', '--json']);
    const codes = (await w.json(['errors', '--json'])).map((e) => e.code).sort();
    assert.deepEqual(codes,
      ['INVALID_CROSS_REFERENCE_KEY', 'MERGED_INTO_LINKED_RECORD']);

    const res = await w.ok(['errors', 'retry']);
    const lines = res.stdout.split('\n');
    assert.equal(lines[0],
      "1 error marked for retry; the next 'sfsync sync' tries it again");
    assert.match(lines[1], /^skipped 1 notice of contacts archived because a merge/);
    const errors = await w.json(['errors', '--json']);
    const notice = errors.find((e) => e.code === 'MERGED_INTO_LINKED_RECORD');
    assert.equal(notice.retryable, false);
    assert.equal(notice.notice, true);
    assert.equal(errors.find((e) => e.code === 'INVALID_CROSS_REFERENCE_KEY')
      .notice, false);
    assert.equal(errors.find((e) => e.code === 'INVALID_CROSS_REFERENCE_KEY')
      .retryable, true);
  });
});

test('owner checked when typed', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    const bad = await w.fails(['contacts', 'add', '--last-name', 'Owned',
      '--owner', 'Ada Lovelace']);
    assert.match(bad.stderr, /field 'owner' value 'Ada Lovelace' is not the id of a user or a queue/);
    assert.match(bad.stderr, /give the 15- or 18-character Salesforce id of a user \(starting with 005\) or a queue \(starting with 00G\)/);
    assert.equal((await w.contacts()).length, 0);

    const c = await w.json(['contacts', 'add', '--json', '--last-name',
      'Owned', '--owner', '005000000000001']);
    assert.equal(c.owner, '005000000000001');
    for (const owner of ['someone', '003000000000001AAA', '0050000000000']) {
      const res = await w.fails(['contacts', 'update', String(c.id),
        '--owner', owner]);
      assert.match(res.stderr, new RegExp(`field 'owner' value '${owner}' is not the id`));
    }
    const queue = await w.json(['contacts', 'update', String(c.id), '--json',
      '--owner', '00G000000000001']);
    assert.equal(queue.owner, '00G000000000001');
    const cleared = await w.json(['contacts', 'update', String(c.id), '--json',
      '--owner', '']);
    assert.equal(cleared.owner, null);
  } finally {
    w.remove();
  }
});

test('owner help names a user id', async () => {
  for (const verb of ['add', 'update']) {
    const res = await new Workdir().ok(['contacts', verb, '--help']);
    assert.match(res.stdout,
      /--owner +the Salesforce id \(15 or 18 characters\) of the owning User/);
  }
});

test('connect says integration is enabled', async () => {
  const sim = await startSim(['--generate', 'contacts=1']);
  const w = new Workdir();
  try {
    await w.ok(['init']);
    let res = await w.ok(connectArgs(w, sim.url));
    assert.match(res.stdout, /^the integration is now enabled, so 'sfsync sync'/m);
    assert.match(res.stdout, /'sfsync config set enabled false' disables it$/m);
    await w.ok(['config', 'set', 'enabled', 'false']);
    res = await w.ok(connectArgs(w, sim.url));
    assert.match(res.stdout, /^the integration stays disabled/m);
    assert.equal((await w.ok(['config', 'get', 'enabled'])).stdout, 'false\n');
  } finally {
    w.remove();
    await sim.stop();
  }
});

test('import reports kept opt-outs', async () => {
  await withWorkdir(async (w) => {
    const made = await w.json(['contacts', 'add', '--json', '--last-name',
      'Optout', '--email', 'opt@example.com', '--do-not-call', 'true',
      '--email-opt-out', 'true']);
    const csv = w.file('rows.csv', 'last_name,email,do_not_call,email_opt_out\n'
      + 'Optout,OPT@example.com,false,no\n'
      + 'Fresh,fresh@example.com,false,false\n'
      + 'Optout,opt@example.com,,\n');
    const res = await w.ok(['contacts', 'import', csv]);
    const lines = res.stdout.split('\n');
    assert.equal(lines[0], `line 2: field 'do_not_call' is false but contact `
      + `${made.id} has it true: kept true; clear it with 'sfsync contacts `
      + `update ${made.id} --do-not-call false'`);
    assert.match(lines[1], /^line 2: field 'email_opt_out' is false .* --email-opt-out false'$/);
    assert.doesNotMatch(lines[2], /^line/);
    const after = await show(w, made.id);
    assert.equal(after.do_not_call, true);
    assert.equal(after.email_opt_out, true);

    const report = await w.json(['contacts', 'import', csv, '--dry-run', '--json']);
    assert.equal(report.kept_opt_out_count, 2);
    assert.deepEqual(report.kept_opt_outs.map((k) => [k.line, k.field, k.contact_id]),
      [[2, 'do_not_call', made.id], [2, 'email_opt_out', made.id]]);
  });
});

test('region change normalises stored phones', async () => {
  await withWorkdir(async (w) => {
    // A London number in national format, which only region GB resolves.
    const london = await w.json(['contacts', 'add', '--json', '--last-name',
      'Brit', '--phone', '020 7946 0958']);
    assert.equal(london.phone_e164, null);
    const us = await w.json(['contacts', 'add', '--json', '--last-name',
      'Yank', '--mobile-phone', '+1 415 555 2671']);
    const res = await w.ok(['config', 'set', 'default_region', 'gb']);
    assert.equal(res.stdout, 'default_region=GB\n'
      + 'phones normalised again with it: 1 contact got new E.164 forms\n');
    const after = await show(w, london.id);
    assert.equal(after.phone_e164, '+442079460958');
    assert.equal(after.phone_valid, true);
    assert.equal(after.phone, '020 7946 0958', 'the typed text stays');
    assert.equal(after.version, london.version, 'no new version');
    assert.equal(after.pending_changes, 1, 'no new outbox entry');
    assert.equal((await show(w, us.id)).mobile_phone_e164, '+14155552671');
    const found = await w.json(['contacts', 'list', '--json', '--search', '4420794']);
    assert.deepEqual(found.contacts.map((c) => c.id), [london.id], 'search digits');

    // The duplicate check finds the new form.
    const dup = await w.fails(['contacts', 'add', '--last-name', 'Brit',
      '--phone', '+44 20 7946 0958']);
    assert.match(dup.stderr, new RegExp(`matches contact ${london.id}`));

    const back = await w.ok(['config', 'set', 'default_region', 'US']);
    assert.equal(back.stdout, 'default_region=US\n'
      + 'phones normalised again with it: 1 contact got new E.164 forms\n'
      + '1 contact had a valid phone number that is invalid with region US:\n'
      + "'sfsync contacts list --json' shows it with phone_valid or "
      + 'mobile_phone_valid false\n');
    assert.equal((await show(w, london.id)).phone_e164, null);
  });
});

test('sync names an unexpected argument', async () => {
  await withWorkdir(async (w) => {
    const res = await w.exits(2, ['sync', 'extra']);
    assert.match(res.stderr, /^sfsync: unexpected argument 'extra'$/m);
    assert.match(res.stderr, /^usage: sfsync sync/m);
  });
});

test('import wording counts rows and columns', async () => {
  await withWorkdir(async (w) => {
    const none = await w.fails(['contacts', 'import',
      w.file('none.csv', 'last_name,city\nA,B\u0001\n')]);
    assert.match(none.stderr, /no row is valid, so fix the rows and import the file again/);
    assert.doesNotMatch(none.stderr, /--skip-invalid/);
    const one = await w.fails(['contacts', 'import',
      w.file('one.csv', 'last_name,city\nA,B\u0001\nC,D\n')]);
    assert.match(one.stderr, /give --skip-invalid to import the 1 valid row and skip the rest/);
    const unknown = await w.fails(['contacts', 'import',
      w.file('unknown.csv', 'last_name,bogus\nA,B\n')]);
    assert.match(unknown.stderr,
      /ignore the 1 unknown column, or rename it to\nan accepted one,/);
  });
});

test('external id error names the CLI', async () => {
  await withOrg(async ({ w }) => {
    const res = await w.fails(['config', 'set', 'external_id_field',
      'Missing__c']);
    assert.match(res.stderr,
      /clear the setting 'external_id_field' with 'sfsync config set external_id_field ""'/);
    assert.doesNotMatch(res.stderr, /PATCH|\/api\//);
  });
});
