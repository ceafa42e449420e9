// SPDX-License-Identifier: MIT
// sfsync migrate: a SQLite store that has synced with sfsim is copied into
// PostgreSQL, run error codes, tombstones, users, sessions and API tokens
// included and workspace locks left out, and sync then goes on from the
// copy with nothing duplicated or lost. Runs only with SFSYNC_TEST_PG set
// (scripts/test.sh sets it).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import {
  startSim, clientCredentials, Workdir, connectArgs, api, count, patchRecord,
  pgCreateDatabase, pgDropDatabase, pgExec, TEST_PG, V,
} from './lib.mjs';
import { Client, Server } from '../api/lib.mjs';

const skip = TEST_PG ? false : 'SFSYNC_TEST_PG is not set';

// The contacts as the CLI shows them, without the times that a sync
// rewrites.
function comparable(contacts) {
  return contacts.map((c) => JSON.stringify(c)).sort();
}

// Every contact of a store of at most 1000.
async function listContacts(w, opts) {
  const page = await w.json(['contacts', 'list', '--json', '--limit', '1000'],
    opts);
  assert.equal(page.contacts.length, page.total);
  return page.contacts;
}

// The Contacts and Leads of the org.
async function sfRecords(sim, token) {
  return await count(sim.url, token, 'SELECT count() FROM Contact')
    + await count(sim.url, token, 'SELECT count() FROM Lead');
}

async function syncOk(w, opts) {
  const res = await w.run(['sync', '--json'], opts);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  return JSON.parse(res.stdout);
}

test('migrate copies a synced store and sync goes on', { skip }, async () => {
  const sim = await startSim(['--generate', 'contacts=15,leads=5,accounts=2']);
  const w = new Workdir('sfsync-migrate-', { sqlite: true });
  const target = pgCreateDatabase();
  try {
    const { access_token: token } = await clientCredentials(sim.url);
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    assert.equal((await syncOk(w)).created, 20);
    // A local contact pushed as a new Contact, and one still queued.
    await w.ok(['contacts', 'add', '--last-name', 'Pushed', '--email',
      'pushed@example.com']);
    assert.equal((await syncOk(w)).pushed, 1);
    await w.ok(['contacts', 'add', '--last-name', 'Queued', '--email',
      'queued@example.com']);
    // A run that failed, with its error code, which the copy keeps.
    execFileSync('sqlite3', [w.db, "UPDATE runs SET status = 'failed', "
      + "message = 'connection refused', error_code = 'network' "
      + 'WHERE id = (SELECT min(id) FROM runs)']);
    const before = await w.contacts();
    const runsBefore = await w.json(['runs', '--json']);
    assert.equal(runsBefore.filter((r) => r.error_code === 'network').length,
      1, JSON.stringify(runsBefore));
    const sfBefore = await sfRecords(sim, token);
    assert.equal(before.length, 22);

    // The copy keeps the credentials encrypted, so the target is given the
    // SQLite store's key file.
    const keyEnv = { SFSYNC_SECRET_KEY_FILE: `${w.db}.key` };
    const pg = { global: ['--db', target.uri], env: keyEnv };
    const res = await w.json(['migrate', '--to', target.uri, '--json']);
    assert.equal(res.rows.workspaces, 1);
    assert.equal(res.rows.contacts, 22);
    assert.equal(res.rows.links, 21);
    assert.equal(res.rows.credentials > 0, true);
    assert.equal(res.rows.cursors, 2);
    // Pulled records queue nothing: the two local creates.
    assert.equal(res.rows.outbox, 2);
    assert.equal(res.rows.runs, runsBefore.length);
    assert.ok(!res.target.includes('postgres@'), res.target);

    const after = await listContacts(w, pg);
    assert.deepEqual(comparable(after), comparable(before));
    assert.deepEqual(await w.json(['runs', '--json'], pg), runsBefore);

    // A second migration into the same database is rejected and changes
    // nothing.
    const again = await w.fails(['migrate', '--to', target.uri]);
    assert.match(again.stderr, /already contains 1 row in table 'workspaces'/);
    assert.equal(pgExec(target.uri, 'SELECT count(*) FROM contacts').trim(), '22');

    // Sync from PostgreSQL: the queued contact is pushed once (created
    // counts that Salesforce create), nothing else is created on either
    // side. The pull also reads back the echo of the push, as it does on
    // SQLite.
    const first = await syncOk(w, pg);
    assert.equal(first.pushed, 1);
    assert.equal(first.created, 1);
    assert.equal(first.errors, 0);
    assert.equal(await sfRecords(sim, token), sfBefore + 1);
    const second = await syncOk(w, pg);
    assert.equal(second.pushed + second.created + second.errors, 0);
    assert.equal(await sfRecords(sim, token), sfBefore + 1);

    // The pull goes on from the copied cursor: one changed record is
    // pulled, and only it.
    const linked = after.find((c) => c.last_name === 'Pushed');
    const { body } = await api(sim.url, token, 'GET',
      `${V}/query?q=${encodeURIComponent(
        "SELECT Id FROM Lead WHERE Email = 'pushed@example.com'")}`);
    assert.equal(body.totalSize, 1);
    await patchRecord(sim.url, body.records[0].Id, { Title: 'Migrated' });
    const third = await syncOk(w, pg);
    assert.ok(third.pulled >= 1, JSON.stringify(third));
    assert.equal(third.created, 0);
    const shown = await w.json(['contacts', 'show', String(linked.id), '--json'], pg);
    assert.equal(shown.title, 'Migrated');
    assert.equal((await listContacts(w, pg)).length, 22);
    assert.equal(await sfRecords(sim, token), sfBefore + 1);
    // The SQLite store was only read.
    assert.equal((await w.contacts()).length, 22);
  } finally {
    w.remove();
    pgDropDatabase(target.name);
    await sim.stop();
  }
});

function sha256Hex(text) {
  return crypto.createHash('sha256').update(text).digest('hex');
}

test('migrate copies users, sessions and tokens', { skip }, async () => {
  const w = new Workdir('sfsync-migrate-', { sqlite: true });
  const target = pgCreateDatabase();
  let server = null;
  try {
    await w.ok(['init']);
    for (const [name, role] of [['ada', 'admin'], ['bob', 'agent']]) {
      await w.ok(['users', 'add', name, '--role', role, '--password-file',
        w.file(`password-${name}`, `${name} passphrase 123\n`)]);
    }
    const token = (await w.ok(['users', 'token', 'bob'])).stdout.trim();
    assert.match(token, /^sfs_/);
    // A signed-in session of ada, as sfsync serve stores it: the hash of
    // the cookie's session id.
    const sessionId = crypto.randomBytes(32).toString('hex');
    execFileSync('sqlite3', [w.db,
      'INSERT INTO sessions (id_hash, workspace_id, user_id, csrf_token, '
      + "created_ms, last_seen_ms) SELECT '" + sha256Hex(sessionId)
      + "', workspace_id, id, 'csrf-1', " + Date.now() + ', ' + Date.now()
      + " FROM users WHERE name = 'ada'"]);

    const res = await w.json(['migrate', '--to', target.uri, '--json']);
    assert.equal(res.rows.users, 2);
    assert.equal(res.rows.sessions, 1);
    assert.equal(res.rows.api_tokens, 1);

    const pg = {
      global: ['--db', target.uri],
      env: { SFSYNC_SECRET_KEY_FILE: `${w.db}.key` },
    };
    const listed = await w.json(['users', 'list', '--json'], pg);
    assert.deepEqual(listed.users.map((u) => u.name), ['ada', 'bob']);
    // The users id sequence follows the copied ids, so a new user gets a
    // fresh id instead of failing on the primary key.
    await w.ok(['users', 'add', 'carol', '--role', 'agent',
      '--password-file', w.file('password-carol', 'carol passphrase 123\n')],
    pg);
    assert.equal(pgExec(target.uri,
      'SELECT count(DISTINCT id) FROM users').trim(), '3');

    // sfsync serve on the copy accepts the copied token and session.
    server = new Server({ db: target.uri, env: pg.env });
    await server.start();
    const bearer = new Client(server.url);
    bearer.bearer = token;
    const asBob = await bearer.req('GET', '/api/session');
    assert.equal(asBob.status, 200, asBob.text);
    assert.equal(asBob.body.user.name, 'bob');
    const cookie = new Client(server.url);
    cookie.cookie = `sfsync_session=${sessionId}`;
    const asAda = await cookie.req('GET', '/api/session');
    assert.equal(asAda.status, 200, asAda.text);
    assert.equal(asAda.body.user.name, 'ada');
    assert.equal(asAda.body.csrf_token, 'csrf-1');
    // Removing a user on PostgreSQL removes its token with it.
    await server.stop();
    server = null;
    await w.ok(['users', 'remove', 'bob'], pg);
    assert.equal(pgExec(target.uri,
      'SELECT count(*) FROM api_tokens').trim(), '0');
  } finally {
    if (server) await server.stop().catch(() => {});
    w.remove();
    pgDropDatabase(target.name);
  }
});

test('migrate copies tombstones and leaves locks out', { skip }, async () => {
  const sim = await startSim(['--generate', 'contacts=3,leads=1,accounts=1']);
  const w = new Workdir('sfsync-migrate-', { sqlite: true });
  const target = pgCreateDatabase();
  try {
    const { access_token: token } = await clientCredentials(sim.url);
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['config', 'set', 'on_salesforce_delete', 'keep']);
    await syncOk(w);
    const kept = (await w.contacts()).find((c) => c.salesforce_object === 'Contact');
    const del = await api(sim.url, token, 'DELETE',
      `${V}/sobjects/Contact/${kept.salesforce_id}`);
    assert.equal(del.status, 204, del.text);
    await syncOk(w);
    // A lock held by a live process on the SQLite store: an OFD lock on
    // the workspace's byte of the lock file, and the row describing it.
    const ws = execFileSync('sqlite3', [w.db, 'SELECT id FROM workspaces'],
      { encoding: 'utf8' }).trim();
    execFileSync('sqlite3', [w.db, 'INSERT INTO locks (workspace_id, name, '
      + `pid, started_ms, host, command) VALUES (${ws}, 'sync', `
      + `${process.pid}, 0, 'here', 'sfsync sync')`]);
    const holder = spawn('python3', ['-c', [
      'import fcntl, os, struct, sys',
      `fd = os.open(${JSON.stringify(`${w.db}.sync.lock`)}, os.O_RDWR | os.O_CREAT, 0o600)`,
      `fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, ${ws}, 1, 0))`,
      "print('held', flush=True)",
      'sys.stdin.read()',
    ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
    await once(holder.stdout, 'data');
    const busy = await w.fails(['sync']);
    assert.match(busy.stderr, /'sfsync sync' is running on host 'here'/);
    holder.stdin.end();
    await once(holder, 'close');

    const keyEnv = { SFSYNC_SECRET_KEY_FILE: `${w.db}.key` };
    const pg = { global: ['--db', target.uri], env: keyEnv };
    const res = await w.json(['migrate', '--to', target.uri, '--json']);
    assert.equal(res.rows.tombstones, 1);
    assert.equal(res.rows.contacts, 4);
    assert.equal(res.rows.links, 3);
    assert.equal(res.rows.locks, undefined);
    assert.equal(pgExec(target.uri, 'SELECT count(*) FROM locks').trim(), '0');

    // The copied tombstone keeps the deleted record from being created
    // again, and the copy is not locked by the source's holder.
    const shown = await w.json(['contacts', 'show', String(kept.id), '--json'], pg);
    assert.equal(shown.deleted_in_salesforce, kept.salesforce_id);
    await w.ok(['contacts', 'update', String(kept.id), '--title', 'After move'], pg);
    const round = await syncOk(w, pg);
    assert.equal(round.pushed + round.created + round.errors, 0);
    assert.equal(await count(sim.url, token, 'SELECT count() FROM Contact'), 2);
    assert.equal(pgExec(target.uri, 'SELECT count(*) FROM locks').trim(), '0');
  } finally {
    w.remove();
    pgDropDatabase(target.name);
    await sim.stop();
  }
});

test('migrate rejects a target that is not PostgreSQL', async () => {
  const w = new Workdir('sfsync-migrate-', { sqlite: true });
  try {
    await w.ok(['init']);
    const res = await w.fails(['migrate', '--to', 'other.db']);
    assert.match(res.stderr, /migration target 'other\.db' is not a PostgreSQL URI/);
    const missing = await w.fails(['migrate']);
    assert.match(missing.stderr, /migrate needs --to URI/);
  } finally {
    w.remove();
  }
});
