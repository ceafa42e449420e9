// SPDX-License-Identifier: MIT
// sfsim's --state FILE over HTTP. An org written through to SQLite comes
// back after a restart with its records, deletions, id counters, users,
// refresh tokens and API usage, and the file is private to its owner.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  startSim, clientCredentials, passwordGrant, api, CLIENT_ID, CLIENT_SECRET,
} from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';
const ALICE = { username: 'alice@example.com', password: 'alice-pass' };
const GENERATE = 'accounts=10,contacts=100,leads=20';

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

async function query(url, token, soql, all = false) {
  const res = await api(url, token, 'GET',
    `${V}/${all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

function apiUsage(res) {
  const m = /api-usage=(\d+)\/\d+/.exec(res.headers.get('sforce-limit-info'));
  assert.ok(m, 'Sforce-Limit-Info header is missing');
  return Number(m[1]);
}

describe('state file round trip', () => {
  let dir, file, created, deleted, firstGenerated, refreshToken, usage;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfsim-state-'));
    file = path.join(dir, 'org.db');
    const sim = await startSim(['--state', file, '--generate', GENERATE,
      '--seed', '5', '--user', `${ALICE.username}:${ALICE.password}`]);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const first = await query(sim.url, token,
        'SELECT Id, Email, MailingCity, AccountId FROM Contact LIMIT 1');
      firstGenerated = first.records[0];

      const res = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`,
        { LastName: 'Persisted', FirstName: 'Zoë', Email: 'zoe@example.com',
          Phone: '+44 20 7946 0958', Description: 'line one\nline "two"' });
      assert.equal(res.status, 201, res.text);
      created = res.body.id;

      const toDelete = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`,
        { LastName: 'Deleted' });
      deleted = toDelete.body.id;
      const del = await api(sim.url, token, 'DELETE',
        `${V}/sobjects/Contact/${deleted}`);
      assert.equal(del.status, 204, del.text);

      const grant = await passwordGrant(sim.url, ALICE.username,
        ALICE.password);
      refreshToken = grant.refresh_token;
      assert.ok(refreshToken, 'the password grant returned no refresh token');
      usage = apiUsage(await api(sim.url, token, 'GET', `${V}/limits`));
    } finally {
      await sim.stop();
    }
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('file is created with mode 0600', () => {
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  test('restart without --generate keeps every record', async () => {
    const sim = await startSim(['--state', file]);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const contacts = await query(sim.url, token,
        'SELECT count() FROM Contact');
      assert.equal(contacts.totalSize, 101);
      const leads = await query(sim.url, token, 'SELECT count() FROM Lead');
      assert.equal(leads.totalSize, 20);
      const accounts = await query(sim.url, token,
        'SELECT count() FROM Account');
      assert.equal(accounts.totalSize, 10);
    } finally {
      await sim.stop();
    }
    assert.match(sim.stderr(), /state file loaded/);
  });

  test('created record comes back unchanged', async () => {
    const sim = await startSim(['--state', file]);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const res = await api(sim.url, token, 'GET',
        `${V}/sobjects/Contact/${created}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.Id, created);
      assert.equal(res.body.Name, 'Zoë Persisted');
      assert.equal(res.body.Email, 'zoe@example.com');
      assert.equal(res.body.Phone, '+44 20 7946 0958');
      assert.equal(res.body.Description, 'line one\nline "two"');
      assert.equal(res.body.DoNotCall, false);
      assert.match(res.body.SystemModstamp, /^\d{4}-\d\d-\d\dT.*\+0000$/);
    } finally {
      await sim.stop();
    }
  });

  test('generated records come back unchanged', async () => {
    const sim = await startSim(['--state', file]);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const first = await query(sim.url, token,
        'SELECT Id, Email, MailingCity, AccountId FROM Contact LIMIT 1');
      assert.deepEqual(first.records[0], firstGenerated);
    } finally {
      await sim.stop();
    }
  });

  test('deleted record stays in the recycle bin', async () => {
    const sim = await startSim(['--state', file]);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const live = await query(sim.url, token,
        `SELECT Id FROM Contact WHERE Id = '${deleted}'`);
      assert.equal(live.totalSize, 0);
      const all = await query(sim.url, token,
        `SELECT Id, IsDeleted FROM Contact WHERE Id = '${deleted}'`, true);
      assert.equal(all.totalSize, 1);
      assert.equal(all.records[0].IsDeleted, true);
    } finally {
      await sim.stop();
    }
  });

  test('new ids do not reuse saved ones', async () => {
    const sim = await startSim(['--state', file]);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const res = await api(sim.url, token, 'POST', `${V}/sobjects/Contact`,
        { LastName: 'After restart' });
      assert.equal(res.status, 201, res.text);
      assert.notEqual(res.body.id, created);
      assert.notEqual(res.body.id, deleted);
      assert.ok(res.body.id > deleted, `${res.body.id} <= ${deleted}`);
      const del = await api(sim.url, token, 'DELETE',
        `${V}/sobjects/Contact/${res.body.id}`);
      assert.equal(del.status, 204, del.text);
    } finally {
      await sim.stop();
    }
  });

  test('refresh token works after restart', async () => {
    const sim = await startSim(['--state', file]);
    try {
      const res = await fetch(`${sim.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token', refresh_token: refreshToken,
          client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
        }),
      });
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      const me = await api(sim.url, body.access_token, 'GET',
        `${V}/sobjects/Contact/${created}`);
      assert.equal(me.status, 200, me.text);
    } finally {
      await sim.stop();
    }
  });

  test('saved users keep their ids', async () => {
    const userIdOf = (grant) => grant.id.split('/').pop();
    const BOB = { username: 'bob@example.com', password: 'bob-pass' };
    let aliceId, bobId;

    // Without --user, alice comes back from the file with her password.
    let sim = await startSim(['--state', file]);
    try {
      aliceId = userIdOf(await passwordGrant(sim.url, ALICE.username,
        ALICE.password));
    } finally {
      await sim.stop();
    }
    // A new user listed first must not take alice's saved id.
    sim = await startSim(['--state', file,
      '--user', `${BOB.username}:${BOB.password}`,
      '--user', `${ALICE.username}:${ALICE.password}`]);
    try {
      assert.equal(userIdOf(await passwordGrant(sim.url, ALICE.username,
        ALICE.password)), aliceId);
      bobId = userIdOf(await passwordGrant(sim.url, BOB.username,
        BOB.password));
      assert.notEqual(bobId, aliceId);
    } finally {
      await sim.stop();
    }
  });

  test('API usage carries over', async () => {
    const sim = await startSim(['--state', file]);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const res = await api(sim.url, token, 'GET', `${V}/limits`);
      assert.ok(apiUsage(res) > usage, `${apiUsage(res)} <= ${usage}`);
    } finally {
      await sim.stop();
    }
  });

  test('--generate is ignored once the file has data', async () => {
    const sim = await startSim(['--state', file, '--generate',
      'contacts=5']);
    try {
      const { access_token: token } = await clientCredentials(sim.url);
      const contacts = await query(sim.url, token,
        'SELECT count() FROM Contact');
      assert.equal(contacts.totalSize, 101);
    } finally {
      await sim.stop();
    }
    assert.match(sim.stderr(), /--generate were not applied/);
  });
});

describe('state file errors', () => {
  let dir;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfsim-state-'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('file that is not SQLite is rejected', async () => {
    const file = path.join(dir, 'garbage.db');
    fs.writeFileSync(file, 'this is not a database, just some text\n'.repeat(
      40));
    const { code, stderr } = await runToExit(['--state', file]);
    assert.notEqual(code, 0);
    assert.ok(stderr.includes(file), stderr);
  });

  test('newer schema version is rejected', async () => {
    const file = path.join(dir, 'future.db');
    const sim = await startSim(['--state', file, '--generate', 'leads=1']);
    await sim.stop();
    // PRAGMA user_version lives at byte offset 60 of the database header.
    const fd = fs.openSync(file, 'r+');
    const version = Buffer.alloc(4);
    version.writeUInt32BE(99);
    fs.writeSync(fd, version, 0, 4, 60);
    fs.closeSync(fd);
    const { code, stderr } = await runToExit(['--state', file]);
    assert.notEqual(code, 0);
    assert.match(stderr, /schema version 99/);
  });

  test('missing folder is reported', async () => {
    const file = path.join(dir, 'no-such-folder', 'org.db');
    const { code, stderr } = await runToExit(['--state', file]);
    assert.notEqual(code, 0);
    assert.ok(stderr.includes('cannot create state file'), stderr);
  });
});
