// SPDX-License-Identifier: MIT
// The counts and texts of the sync commands, against a real sfsim. The
// cases: a converted Lead pushed once, the workspace in the sync and pull
// log lines, a Salesforce delete under keep, a
// killed round in status and runs, the counts a killed round committed,
// errors retry and held-back changes. Then
// a failed round, settings warnings, import plurals and contacts list.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, Workdir, connectArgs, clientCredentials, convertLead, setFaults,
  sleep, describeRun,
} from './lib.mjs';

const V = '/services/data/v60.0';

// A generated org, a connected work directory after its first round, and
// a token for the org's API.
async function withOrg(fn) {
  const sim = await startSim(['--generate', 'contacts=50,leads=30,accounts=10']);
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

async function withWorkdir(fn) {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await fn(w);
  } finally {
    w.remove();
  }
}

async function simDelete(sim, token, object, id) {
  const res = await fetch(`${sim.url}${V}/sobjects/${object}/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 204, await res.text());
}

test('converted lead pushed counts once', async () => {
  await withOrg(async ({ sim, w }) => {
    const lead = (await w.contacts()).find((c) => c.salesforce_object === 'Lead');
    await w.ok(['config', 'set', 'direction', 'to-salesforce']);
    await convertLead(sim.url, lead.salesforce_id);
    await w.ok(['contacts', 'update', String(lead.id), '--title', 'Converted']);

    const sum = await w.json(['sync', '--json']);
    assert.equal(sum.status, 'ok');
    assert.equal(sum.pushed, 1);
    assert.equal(sum.pulled, 0);
    assert.equal(sum.updated, 1);
    assert.equal(sum.push.records, 1);
    assert.equal(sum.push.updated, 1);
    assert.equal(sum.pull.records, 0);
    assert.equal(sum.pull.updated, 0);
    const after = await w.json(['contacts', 'show', String(lead.id), '--json']);
    assert.equal(after.salesforce_object, 'Contact');

    await w.ok(['contacts', 'update', String(lead.id), '--title', 'Again']);
    const text = await w.ok(['--log-level', 'info', 'sync']);
    assert.equal(text.stdout.split('\n')[2], '  pushed to Salesforce:   1 record '
      + '(0 created, 1 updated, 0 deleted in Salesforce)');
    assert.match(text.stderr, /sync finished .* pushed=1 pulled=0 /);
  });
});

test('sync and pull logs name workspace', async () => {
  await withOrg(async ({ w }) => {
    const sync = await w.ok(['--log-level', 'info', 'sync']);
    assert.match(sync.stderr, /sync started workspace=1 run=\d+ /);
    assert.match(sync.stderr, /sync finished workspace=1 run=\d+ /);
    const pull = await w.ok(['--log-level', 'info', 'pull', 'contacts']);
    assert.match(pull.stderr, /pull started workspace=1 object=Contact run=\d+/);
    assert.match(pull.stderr, /pull finished workspace=1 object=Contact run=\d+ /);
  });
});

test('kept delete counts as unlinked', async () => {
  await withOrg(async ({ sim, w, token }) => {
    const gone = (await w.contacts()).find((c) => c.salesforce_object === 'Contact');
    await w.ok(['config', 'set', 'on_salesforce_delete', 'keep']);
    await simDelete(sim, token, 'Contact', gone.salesforce_id);

    const sum = await w.json(['sync', '--json']);
    assert.equal(sum.pulled, 1);
    assert.equal(sum.deleted, 0);
    assert.equal(sum.unlinked, 1);
    assert.equal(sum.pull.deleted, 0);
    assert.equal(sum.pull.unlinked, 1);
    const kept = await w.json(['contacts', 'show', String(gone.id), '--json']);
    assert.equal(kept.archived, false);

    const other = (await w.contacts()).find((c) => c.salesforce_object === 'Contact');
    await simDelete(sim, token, 'Contact', other.salesforce_id);
    const lines = (await w.ok(['sync'])).stdout.split('\n');
    assert.equal(lines[1], '  pulled from Salesforce: 1 record (0 created, '
      + '0 updated, 0 deleted locally, 1 unlinked), 0 conflicts');
    assert.equal(lines[3], '  kept 1 contact whose Salesforce record was '
      + 'deleted (on_salesforce_delete keep)');
  });
});

test('status marks killed run abandoned', async () => {
  await withOrg(async ({ sim, w, token }) => {
    const c = (await w.contacts()).find((x) => x.salesforce_object === 'Contact');
    await fetch(`${sim.url}${V}/sobjects/Contact/${c.salesforce_id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Title: 'Slow' }),
    });
    await setFaults(sim.url, { latency: 3000 });
    try {
      const run = w.spawn(['sync']);
      let running = false;
      for (let i = 0; i < 100 && !running; i++) {
        const [last] = await w.json(['runs', '--json', '--limit', '1']);
        running = last.status === 'running';
        if (!running) await sleep(50);
      }
      assert.ok(running, 'the round was seen running');
      run.proc.kill('SIGKILL');
      const killed = await run.done;
      assert.equal(killed.signal, 'SIGKILL', describeRun(killed));
    } finally {
      await setFaults(sim.url, { latency: 0 });
    }
    const status = await w.run(['status']);
    assert.match(status.stdout, /^last run: +sync abandoned at /m, describeRun(status));
    const json = JSON.parse((await w.run(['status', '--json'])).stdout);
    assert.equal(json.last_run.status, 'abandoned');
  });
});

test('killed round keeps committed counts', async () => {
  await withOrg(async ({ sim, w, token }) => {
    // 250 new contacts make two create requests of 200 and 50, so the
    // round is still running after the first one's results commit.
    const rows = ['last_name,email'];
    for (let i = 0; i < 250; i++) rows.push(`Kept${i},kept${i}@example.com`);
    await w.ok(['contacts', 'import', w.file('kept.csv', `${rows.join('\n')}\n`)]);
    const c = (await w.contacts()).find((x) => x.salesforce_object === 'Contact');
    await fetch(`${sim.url}${V}/sobjects/Contact/${c.salesforce_id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Title: 'Pulled' }),
    });
    await setFaults(sim.url, { latency: 1000 });
    let seen = null;
    try {
      const run = w.spawn(['sync']);
      for (let i = 0; i < 400 && !seen; i++) {
        const [last] = await w.json(['runs', '--json', '--limit', '1']);
        if (last.kind === 'sync' && last.status === 'running' && last.pushed > 0) {
          seen = last;
        } else {
          await sleep(50);
        }
      }
      run.proc.kill('SIGKILL');
      const killed = await run.done;
      assert.ok(seen, `the running round never showed a pushed count: ${describeRun(killed)}`);
      assert.equal(killed.signal, 'SIGKILL', describeRun(killed));
    } finally {
      await setFaults(sim.url, { latency: 0 });
    }
    const [after] = await w.json(['runs', '--json', '--limit', '1']);
    assert.equal(after.id, seen.id);
    assert.equal(after.status, 'abandoned');
    assert.equal(after.pulled, 1);
    assert.equal(after.pushed, 200);
    assert.equal(after.created, 200);
    assert.ok(after.api_calls >= 3, JSON.stringify(after));
  });
});

test('errors retry names retryable errors', async () => {
  await withOrg(async ({ sim, w }) => {
    const c = (await w.contacts()).find((x) => x.salesforce_object === 'Contact');
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Locked']);
    await setFaults(sim.url, { lock: 1 });
    try {
      await w.exits(1, ['sync', '--json']);
    } finally {
      await setFaults(sim.url, { lock: 0 });
    }
    const errors = await w.json(['errors', '--json']);
    assert.deepEqual(errors.map((e) => [e.code, e.retryable]),
      [['UNABLE_TO_LOCK_ROW', true]]);
    const res = await w.ok(['errors', 'retry']);
    assert.equal(res.stdout, '0 errors marked for retry: no error was permanent\n'
      + "1 retryable error is tried again by the next 'sfsync sync' anyway\n");
  });
});

test('from-salesforce round names held changes', async () => {
  await withOrg(async ({ w }) => {
    const [a, b] = (await w.contacts()).filter((x) => x.salesforce_object === 'Contact');
    await w.ok(['config', 'set', 'direction', 'from-salesforce']);
    await w.ok(['contacts', 'update', String(a.id), '--title', 'Held']);
    await w.ok(['contacts', 'update', String(b.id), '--title', 'Held']);
    await w.ok(['contacts', 'update', String(b.id), '--title', 'Held again']);
    const lines = (await w.ok(['sync'])).stdout.split('\n');
    assert.equal(lines[3], '  held back 2 contacts with pending changes, '
      + 'because direction is from-salesforce');
    assert.equal(lines[4], "  (run 'sfsync config set direction both' to push them)");
    const sum = await w.json(['sync', '--json']);
    assert.equal(sum.held_back, 2);
  });
});

test('failed round counts its error', async () => {
  await withOrg(async ({ sim, w }) => {
    await setFaults(sim.url, { unavailable: 1 });
    let res;
    try {
      res = await w.run(['sync']);
    } finally {
      await setFaults(sim.url, { unavailable: 0 });
    }
    assert.equal(res.code, 1);
    const lines = res.stdout.split('\n');
    assert.equal(lines[0], 'sync failed');
    assert.match(lines[3], /^ {2}1 error, \d+ API calls$/);
    assert.match(lines[4], /503 SERVER_UNAVAILABLE/);
  });
});

test('runs column fits abandoned', async () => {
  await withOrg(async ({ sim, w, token }) => {
    const c = (await w.contacts()).find((x) => x.salesforce_object === 'Contact');
    await fetch(`${sim.url}${V}/sobjects/Contact/${c.salesforce_id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Title: 'Slow' }),
    });
    await setFaults(sim.url, { latency: 3000 });
    try {
      const run = w.spawn(['sync']);
      for (let i = 0; i < 100; i++) {
        const [last] = await w.json(['runs', '--json', '--limit', '1']);
        if (last.status === 'running') break;
        await sleep(50);
      }
      run.proc.kill('SIGKILL');
      await run.done;
    } finally {
      await setFaults(sim.url, { latency: 0 });
    }
    const lines = (await w.ok(['runs'])).stdout.trimEnd().split('\n');
    const abandoned = lines.find((l) => / abandoned /.test(l));
    const ok = lines.find((l) => / ok /.test(l));
    assert.ok(abandoned, lines.join('\n'));
    assert.ok(ok, lines.join('\n'));
    assert.equal(abandoned.indexOf(' pushed '), ok.indexOf(' pushed '),
      'the counts start in one column');
  });
});

test('config warns objects without leads', async () => {
  await withWorkdir(async (w) => {
    const res = await w.ok(['config', 'set', 'objects', 'contacts']);
    assert.equal(res.stdout, 'objects=contacts\n');
    assert.equal(res.stderr, 'warning: new_contacts_as is lead but objects has '
      + 'no leads, so new local contacts\nstay pending and are not created in '
      + "Salesforce: run 'sfsync config set\nnew_contacts_as contact' or add "
      + 'leads to objects\n');
    const fixed = await w.ok(['config', 'set', 'new_contacts_as', 'contact']);
    assert.equal(fixed.stderr, '');
    const both = await w.ok(['config', 'set', 'objects', 'contacts,leads']);
    assert.equal(both.stderr, '');
  });
});

test('import report uses singulars', async () => {
  await withWorkdir(async (w) => {
    await w.ok(['contacts', 'add', '--last-name', 'Known', '--email',
      'known@example.com']);
    const csv = w.file('rows.csv', 'last_name,email,title\n'
      + 'Known,known@example.com,Chief\n'
      + 'Bad,bad@,x\n'
      + 'Fresh,fresh@example.com,\n');
    const res = await w.ok(['contacts', 'import', csv, '--skip-invalid']);
    const lines = res.stdout.trim().split('\n');
    assert.match(lines[lines.length - 2],
      /^imported 1 contact from '.*rows\.csv'; 1 rejected row was skipped$/);
    assert.equal(lines[lines.length - 1], '1 row updated an existing contact, '
      + '0 matched contacts without changing them');
  });
});

test('contacts list without first name', async () => {
  await withWorkdir(async (w) => {
    await w.ok(['contacts', 'add', '--last-name', 'Solo']);
    await w.ok(['contacts', 'add', '--first-name', 'Ada', '--last-name', 'Byron']);
    const lines = (await w.ok(['contacts', 'list'])).stdout.split('\n');
    // The NAME column starts after the 8 columns of ID and a space.
    assert.equal(lines[1].slice(9, 14), 'Solo ');
    assert.equal(lines[2].slice(9, 19), 'Ada Byron ');
  });
});

test('contacts help lists every option', async () => {
  const w = new Workdir();
  try {
    const res = await w.ok(['contacts', '--help']);
    assert.match(res.stdout, /^usage: sfsync contacts list \[--search TEXT\] \[--limit N\] \[--offset N\] \[--all\]$/m);
    assert.match(res.stdout, /^ +sfsync contacts update ID --FIELD VALUE \.\.\. \[--if-version N\] \[--relink\]$/m);
    const list = await w.ok(['contacts', 'list', '--help']);
    assert.match(list.stdout, /--limit N lists at most N contacts, 1 to 1000 \(default 50\)/);
  } finally {
    w.remove();
  }
});

test('region change counts invalidated phones', async () => {
  await withWorkdir(async (w) => {
    // A US number in national format is valid only under region US.
    const us = await w.json(['contacts', 'add', '--json', '--last-name',
      'Yank', '--phone', '(415) 555-2671']);
    assert.equal(us.phone_valid, true);
    await w.ok(['contacts', 'add', '--last-name', 'Brit', '--phone',
      '020 7946 0958']);
    const res = await w.ok(['config', 'set', 'default_region', 'GB']);
    assert.equal(res.stdout, 'default_region=GB\n'
      + 'phones normalised again with it: 2 contacts got new E.164 forms\n'
      + '1 contact had a valid phone number that is invalid with region GB:\n'
      + "'sfsync contacts list --json' shows it with phone_valid or "
      + 'mobile_phone_valid false\n');
    const listed = await w.json(['contacts', 'list', '--json']);
    const invalid = listed.contacts.filter((c) => c.phone_valid === false);
    assert.deepEqual(invalid.map((c) => c.id), [us.id]);
  });
});

test('push error names the fields Salesforce gave', async () => {
  await withOrg(async ({ w }) => {
    const contacts = (await w.contacts()).filter((c) => c.salesforce_object === 'Contact');
    // A well-formed User id that names no User of sfsim.
    await w.ok(['contacts', 'update', String(contacts[0].id), '--owner',
      '005000000000991']);
    const run = await w.run(['--log-level', 'info', 'sync']);
    assert.match(run.stderr, /code=INVALID_CROSS_REFERENCE_KEY .*\(fields OwnerId\)/);
    const errors = await w.json(['errors', '--json']);
    const mine = errors.find((e) => e.contact_id === contacts[0].id);
    assert.ok(mine, JSON.stringify(errors));
    assert.match(mine.message, / \(fields OwnerId\)$/);
  });
});

test('token failure counted in runs', async () => {
  const user = 'rep@example.com';
  const password = 'rep-pass';
  const sim = await startSim(['--generate', 'contacts=3',
    '--user', `${user}:${password}`, '--token-lifetime', '1']);
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(['connect', '--login-url', sim.url, '--client-id',
      'sfsim-client-id', '--client-secret-file',
      w.file('secret', 'sfsim-client-secret\n'), '--grant', 'password',
      '--username', user, '--password-file', w.file('password', `${password}\n`)]);
    // The access token expires and its refresh is refused.
    await setFaults(sim.url, { 'refresh-revoked': 1 });
    await sleep(1200);
    const res = await w.run(['sync']);
    assert.equal(res.code, 1, describeRun(res));
    assert.match(res.stdout, /^ {2}1 error, /m);
    const [run] = await w.json(['runs', '--json']);
    assert.equal(run.status, 'failed');
    assert.equal(run.errors, 1);
    const status = await w.run(['status', '--offline']);
    assert.match(status.stdout,
      /^last run: +sync failed at .*, 1 error; 'sfsync runs' shows why it failed$/m);
  } finally {
    await setFaults(sim.url, { 'refresh-revoked': 0 });
    w.remove();
    await sim.stop();
  }
});

test('push finding a delete counts it', async () => {
  await withOrg(async ({ sim, w, token }) => {
    const c = (await w.contacts()).find((x) => x.salesforce_object === 'Contact');
    await w.ok(['config', 'set', 'direction', 'to-salesforce']);
    await simDelete(sim, token, 'Contact', c.salesforce_id);
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Gone']);

    const res = await w.ok(['sync']);
    assert.match(res.stdout,
      /pulled from Salesforce: 0 records \(0 created, 0 updated, 1 deleted locally\)/);
    assert.match(res.stdout, /\(0 created, 0 updated, 0 deleted in Salesforce\)/);
    assert.equal((await w.json(['contacts', 'show', String(c.id), '--json']))
      .archived, true);
    const [run] = await w.json(['runs', '--json']);
    assert.equal(run.deleted, 1);
  });
});
