// SPDX-License-Identifier: MIT
// sfsync given bad input or a broken server: each failure prints one clear
// message naming what failed and what to do, exits non-zero, and leaves the
// store as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
  startSim, clientCredentials, Workdir, connectArgs, CLIENT_ID, api, V,
  queryAll, setFaults, patchRecord, byId,
} from './lib.mjs';

let sim;
let token;

before(async () => {
  sim = await startSim(['--generate', 'contacts=30,leads=5,accounts=3']);
  token = (await clientCredentials(sim.url)).access_token;
});

after(async () => { await sim.stop(); });

// The state a failed command must leave alone: settings, connection and
// contacts with their links.
async function snapshot(w) {
  // The last run is left out: a failed pull is recorded as a run.
  const { last_run: lastRun, ...status } =
    await w.json(['status', '--json', '--offline']);
  assert.ok(lastRun === null || typeof lastRun.status === 'string');
  return {
    config: await w.json(['config', 'list', '--json']),
    status,
    contacts: await w.contacts(),
  };
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

// The stderr of a failed run as its one line of message.
function message(res) {
  const lines = res.stderr.split('\n').filter((l) => l.startsWith('sfsync: '));
  assert.equal(lines.length, 1, `expected one message:\n${res.stderr}`);
  return lines[0];
}

test('refused login URL', async () => {
  await withWorkdir(async (w) => {
    const before = await snapshot(w);
    const res = await w.fails(connectArgs(w, 'http://127.0.0.1:1'));
    const msg = message(res);
    assert.match(msg, /^sfsync: cannot connect to Salesforce at 'http:\/\/127\.0\.0\.1:1': /);
    assert.match(msg, /Couldn't connect to server/);
    assert.match(msg, /check --login-url and that the server is reachable$/);
    assert.equal(res.stdout, '');
    assert.deepEqual(await snapshot(w), before);
  });
});

test('login URL that is not http', async () => {
  await withWorkdir(async (w) => {
    const before = await snapshot(w);
    for (const url of ['ftp://127.0.0.1/', 'login.salesforce.com', 'file:///etc/passwd']) {
      const res = await w.fails(connectArgs(w, url));
      assert.match(message(res), new RegExp(`invalid login URL '${url}': give an https:// URL`));
      assert.match(message(res), /or an http:\/\/ URL of a test server/);
    }
    assert.deepEqual(await snapshot(w), before);
  });
});

test('wrong client secret', async () => {
  await withWorkdir(async (w) => {
    const before = await snapshot(w);
    const res = await w.fails(connectArgs(w, sim.url, { secret: 'not-the-secret' }));
    const msg = message(res);
    assert.match(msg, /oauth2\/token failed with http 400 invalid_client/);
    assert.match(msg, /check --client-id and the secret in the file '.*client-secret'$/);
    assert.doesNotMatch(msg, /log in again/);
    assert.ok(!msg.includes('not-the-secret'), 'the secret is printed');
    assert.deepEqual(await snapshot(w), before);

    const id = await w.fails(['connect', '--login-url', sim.url, '--client-id', 'nobody',
      '--client-secret-file', w.file('s', 'sfsim-client-secret\n')]);
    assert.match(message(id), /invalid_client_id/);
    assert.deepEqual(await snapshot(w), before);
  });
});

test('failed reconnect keeps the old connection', async () => {
  await withWorkdir(async (w) => {
    await w.ok(connectArgs(w, sim.url));
    await w.json(['pull', 'contacts', '--json']);
    const before = await snapshot(w);
    await w.fails(connectArgs(w, sim.url, { secret: 'wrong' }));
    await w.fails(connectArgs(w, 'http://127.0.0.1:1'));
    assert.deepEqual(await snapshot(w), before);
    const st = (await w.json(['status', '--json'])).connection;
    assert.equal(st.healthy, true);
  });
});

test('missing secret and options', async () => {
  await withWorkdir(async (w) => {
    const before = await snapshot(w);
    let res = await w.fails(['connect', '--login-url', sim.url, '--client-id', CLIENT_ID]);
    assert.match(message(res), /missing consumer secret: give --client-secret-file FILE or set SFSYNC_CLIENT_SECRET/);
    res = await w.fails(['connect', '--login-url', sim.url, '--client-id', CLIENT_ID,
      '--client-secret-file', `${w.dir}/no-such-file`]);
    assert.match(message(res), /cannot read client secret file '.*no-such-file': No such file or directory/);
    res = await w.fails(['connect', '--client-id', CLIENT_ID]);
    assert.match(message(res), /connect needs --login-url and --client-id/);
    res = await w.fails(['connect', '--login-url', sim.url, '--client-id', CLIENT_ID,
      '--grant', 'magic']);
    assert.match(message(res), /invalid --grant 'magic': use client_credentials, jwt or password/);
    res = await w.fails(['connect', '--login-url', sim.url, '--client-id', CLIENT_ID,
      '--client-secret-file', w.file('s', 'sfsim-client-secret\n'), '--grant', 'password']);
    assert.match(message(res), /the password grant needs --username NAME and --password-file FILE/);
    assert.deepEqual(await snapshot(w), before);
  });
});

// Faults that break every reply of the query, and the message each gives.
const REPLY_FAULTS = [
  ['html', /has Content-Type 'text\/html', not JSON/],
  ['truncate', /is (not valid|truncated) JSON/],
  ['corrupt', /is not valid JSON .*byte/],
];

for (const [fault, expected] of REPLY_FAULTS) {
  test(`${fault} reply fails the pull`, async () => {
    await withWorkdir(async (w) => {
      await w.ok(connectArgs(w, sim.url));
      await w.json(['pull', 'contacts', '--json']);
      // A change that a working pull would bring in.
      const [first] = (await queryAll(sim.url, token,
        'SELECT Id FROM Contact ORDER BY Id LIMIT 1')).records;
      const patch = await api(sim.url, token, 'PATCH',
        `${V}/sobjects/Contact/${first.Id}`, { Title: `Head of ${fault}` });
      assert.equal(patch.status, 204, patch.text);
      const before = await snapshot(w);

      await setFaults(sim.url, { [fault]: 1 });
      let res;
      let json;
      try {
        res = await w.fails(['pull', 'contacts']);
        json = await w.fails(['pull', 'contacts', '--json']);
      } finally {
        await setFaults(sim.url, { [fault]: 0 });
      }
      const msg = message(res);
      assert.match(msg, /^sfsync: pull of contacts failed: response to GET http:\/\/127\.0\.0\.1:\d+\/services\/data\/v\d+\.0\/query/);
      assert.match(msg, expected);
      assert.match(msg, /run 'sfsync pull contacts' again later, the records stored so far are kept$/);
      const sum = JSON.parse(json.stdout);
      assert.match(sum.error, expected);
      assert.equal(sum.created + sum.updated + sum.unchanged, 0);
      assert.deepEqual(await snapshot(w), before);

      const ok = await w.json(['pull', 'contacts', '--json']);
      assert.equal(ok.updated, 1);
      assert.equal(ok.unchanged, 29);
      const [c] = (await w.contacts()).filter((x) => x.salesforce_id === first.Id);
      assert.equal(c.title, `Head of ${fault}`);
    });
  });
}

test('too long title skips one record', async () => {
  const [victim] = (await queryAll(sim.url, token,
    'SELECT Id FROM Contact ORDER BY Id DESC LIMIT 1')).records;
  await patchRecord(sim.url, victim.Id, { Title: 'T'.repeat(300) });
  try {
    await withWorkdir(async (w) => {
      await w.ok(connectArgs(w, sim.url));
      const res = await w.fails(['pull', 'contacts', '--json']);
      const sum = JSON.parse(res.stdout);
      assert.equal(sum.total, 30);
      assert.equal(sum.errors, 1);
      assert.equal(sum.created, 29);
      assert.equal(sum.error, undefined);
      assert.match(res.stderr, new RegExp(`record skipped object=Contact id=${victim.Id} `
        + `error=Contact ${victim.Id}: field 'title' is 300 characters long; the maximum is 128`));
      const local = await w.contacts();
      assert.equal(local.length, 29);
      assert.ok(!local.some((c) => c.salesforce_id === victim.Id));

      const text = await w.fails(['pull', 'contacts']);
      assert.match(text.stdout, /pulled 30 Contacts: 0 created, 0 updated, 29 unchanged, 1 error,/);
      assert.match(text.stderr, new RegExp(`id=${victim.Id} .*field 'title'`));
      assert.equal((await w.contacts()).length, 29);

      // Once fixed in Salesforce, the record is stored and its error goes.
      await patchRecord(sim.url, victim.Id, { Title: 'Fixed' });
      const fixed = await w.json(['pull', 'contacts', '--json']);
      assert.equal(fixed.errors, 0);
      assert.equal(fixed.created, 1);
      assert.equal(fixed.unchanged, 29);
      assert.deepEqual(await w.json(['errors', '--json']), []);
    });
  } finally {
    await patchRecord(sim.url, victim.Id, { Title: null });
  }
});

test('unknown commands and ids', async () => {
  await withWorkdir(async (w) => {
    await w.ok(connectArgs(w, sim.url));
    await w.json(['pull', 'contacts', '--json']);
    const before = await snapshot(w);
    const cases = [
      [['pull', 'widgets'], "sfsync: cannot pull 'widgets': use contacts or leads"],
      [['contacts', 'show', '99999'],
        "sfsync: no contact 99999 in workspace 'default': run 'sfsync contacts list' to see the ids"],
      [['contacts', 'show', 'abc'],
        "sfsync: invalid contact id 'abc': give the number that 'sfsync contacts list' shows"],
      [['contacts', 'merge', '1'],
        "sfsync: unknown contacts command 'merge': use list, show, add, update, delete or import"],
      [['frobnicate'], "sfsync: unknown command 'frobnicate': run 'sfsync --help' for the list"],
      [['config', 'set', 'colour', 'blue'],
        "sfsync: unknown setting 'colour': run 'sfsync config list' to see every setting"],
      [['contacts', 'list', '--limit', '0'],
        "sfsync: invalid --limit '0': give a whole number from 1 to 1000"],
    ];
    for (const [args, expected] of cases) {
      const res = await w.fails(args);
      assert.equal(message(res), expected, args.join(' '));
    }
    assert.deepEqual(await snapshot(w), before);
  });
});

test('missing database says run init', async () => {
  const w = new Workdir();
  try {
    for (const args of [['status'], ['pull', 'contacts'], ['contacts', 'list'],
      ['config', 'list'], ['disconnect']]) {
      const res = await w.fails(args);
      assert.equal(message(res),
        `sfsync: no database at '${w.db}': run 'sfsync init' first, or give --db PATH`);
      assert.ok(!fs.existsSync(w.db), `'sfsync ${args.join(' ')}' created the database`);
    }
    await w.ok(['init']);
    const res = await w.fails(['--workspace', 'other', 'status']);
    assert.equal(message(res), `sfsync: no workspace 'other' in '${w.db}': `
      + "run 'sfsync --workspace other init' to create it");
  } finally {
    w.remove();
  }
});

test('SFSYNC_DB sets the database', async () => {
  const w = new Workdir();
  try {
    const env = { SFSYNC_DB: w.db };
    await w.ok(['init'], { env, global: [] });
    assert.ok(fs.existsSync(w.db));
    const st = await w.json(['status', '--json'], { env, global: [] });
    assert.equal(st.workspace, 'default');
  } finally {
    w.remove();
  }
});
