// SPDX-License-Identifier: MIT
// What an operator sees when the credentials key is missing or wrong, when
// a workspace's region differs from the default, and the wording of the
// global options and the worker's. The worker tests run only with
// SFSYNC_TEST_PG set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import {
  startSim, Workdir, connectArgs, pgExec, setFaults, sleep, TEST_PG,
} from './lib.mjs';

const PG_SH = fileURLToPath(new URL('../../scripts/pg.sh', import.meta.url));

const skipPg = TEST_PG ? false : 'SFSYNC_TEST_PG is not set: sfsync worker '
  + 'runs only on a PostgreSQL store';

const OTHER_KEY = 'ff'.repeat(32);

// A PostgreSQL Workdir with one workspace 'ws0' connected to sim.
async function connectedPg(sim) {
  const w = new Workdir('sfsync-ops-');
  const global = [...w.globalArgs, '--workspace', 'ws0'];
  await w.ok(['init'], { global });
  await w.ok(connectArgs(w, sim.url), { global });
  return w;
}

// The sync runs of the database as {status, finished}.
function syncRuns(w) {
  return pgExec(w.db, "SELECT status, coalesce(finished_ms, 0) FROM runs "
    + "WHERE kind = 'sync' ORDER BY id")
    .split('\n').filter(Boolean).map((line) => {
      const [status, finished] = line.split('|');
      return { status, finished: Number(finished) };
    });
}

test('worker without key fails once', { skip: skipPg }, async () => {
  const sim = await startSim();
  const w = await connectedPg(sim);
  try {
    const env = { SFSYNC_SECRET_KEY_FILE: '' };
    const once = await w.exits(1, ['worker', '--once'], { env });
    assert.match(once.stdout,
      /^workspace 'ws0': sync failed: cannot read the stored Salesforce credentials: /m);
    assert.match(once.stderr, /workspace cannot sync/);
    assert.match(once.stderr, /SFSYNC_SECRET_KEY /);
    assert.match(once.stderr, /SFSYNC_SECRET_KEY_FILE /);
    assert.deepEqual(syncRuns(w), []);

    // A worker that keeps running reports the cause once, not every pass,
    // here once a second.
    await w.ok(['config', 'set', 'poll_interval', '1'],
      { global: [...w.globalArgs, '--workspace', 'ws0'] });
    const worker = w.spawn(['--log-level', 'info', 'worker', '--poll', '1',
      '--worker-id', 'k'], { env, global: w.globalArgs });
    await sleep(3500);
    worker.proc.kill('SIGTERM');
    const res = await worker.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr.match(/workspace cannot sync/g).length, 1,
      res.stderr);
    assert.match(res.stderr, /worker stopped.*reason=SIGTERM/);
  } finally {
    w.remove();
    await sim.stop();
  }
});

test('worker with wrong key fails', { skip: skipPg }, async () => {
  const sim = await startSim();
  const w = await connectedPg(sim);
  try {
    const res = await w.exits(1, ['worker', '--once'],
      { env: { SFSYNC_SECRET_KEY: OTHER_KEY } });
    assert.match(res.stdout, /^workspace 'ws0': sync failed: cannot read the stored Salesforce credentials: cannot decrypt stored credentials: the secret key changed; set SFSYNC_SECRET_KEY to the key they were stored with \(or SFSYNC_SECRET_KEY_FILE to its file, for a PostgreSQL store\)/m);
    assert.deepEqual(syncRuns(w), []);
    // With the right key the same worker syncs.
    const good = await w.ok(['worker', '--once']);
    assert.match(good.stdout, /^workspace 'ws0': sync ok/m);
  } finally {
    w.remove();
    await sim.stop();
  }
});

test('worker takes --log-level', { skip: skipPg }, async () => {
  const sim = await startSim();
  const w = await connectedPg(sim);
  try {
    const quiet = await w.ok(['worker', '--once']);
    assert.doesNotMatch(quiet.stderr, /worker started/);
    const info = await w.ok(['worker', '--once', '--log-level', 'info']);
    assert.match(info.stderr, /INFO worker: worker started owner=/);
    assert.match(info.stderr, /worker stopped .*reason=once/);
  } finally {
    w.remove();
    await sim.stop();
  }
});

test('worker rejects bad --log-level', async () => {
  const w = new Workdir('sfsync-ops-', { sqlite: true });
  try {
    const res = await w.exits(1, ['worker', '--log-level', 'loud']);
    assert.match(res.stderr, /invalid --log-level 'loud': use debug, info, warn, error or off/);
  } finally {
    w.remove();
  }
});

test('mistyped key file makes no key', { skip: skipPg }, async () => {
  const sim = await startSim();
  const w = await connectedPg(sim);
  try {
    const typo = path.join(w.dir, 'sfsync.db.kye');
    const env = { SFSYNC_SECRET_KEY_FILE: typo };
    const res = await w.exits(1, ['worker', '--once'], { env });
    assert.match(res.stdout, new RegExp(`key file '${typo.replace(/\./g, '\\.')}' `
      + 'does not exist, but the store holds credentials encrypted with a key, '
      + 'so no new key is made: set SFSYNC_SECRET_KEY_FILE to the path of the '
      + 'existing key file, or SFSYNC_SECRET_KEY to the key'));
    assert.equal(fs.existsSync(typo), false, 'a new key file was created');
    // A connect of another workspace, which would encrypt with a new key,
    // is rejected too.
    const global = [...w.globalArgs, '--workspace', 'ws1'];
    await w.ok(['init'], { global });
    const connect = await w.fails(connectArgs(w, sim.url), { env, global });
    assert.match(connect.stderr, /does not exist, but the store holds credentials/);
    assert.equal(fs.existsSync(typo), false, 'connect created a key file');
  } finally {
    w.remove();
    await sim.stop();
  }
});

// Connect workspace ws1 of w with OTHER_KEY while ws0 has credentials
// under w's key. The connect is rejected and stores nothing, and the same
// connect with w's key succeeds.
async function checkConnectOtherKey(w, sim, storedCount) {
  const global = [...w.globalArgs, '--workspace', 'ws1'];
  await w.ok(['init'], { global });
  const env = { SFSYNC_SECRET_KEY: OTHER_KEY };
  const connect = await w.fails(connectArgs(w, sim.url), { env, global });
  assert.match(connect.stderr, /the store's credentials were stored with another key: set SFSYNC_SECRET_KEY or SFSYNC_SECRET_KEY_FILE to that key/);
  assert.equal(storedCount(), 1, 'ws1 got credentials under another key');
  await w.ok(connectArgs(w, sim.url), { global });
  assert.equal(storedCount(), 2);
  const status = await w.ok(['status'], { global });
  assert.doesNotMatch(status.stdout, /^problem:/m);
}

test('connect with another key is rejected', { skip: skipPg }, async () => {
  const sim = await startSim();
  const w = await connectedPg(sim);
  try {
    await checkConnectOtherKey(w, sim, () => Number(pgExec(w.db,
      'SELECT count(DISTINCT workspace_id) FROM credentials')));
  } finally {
    w.remove();
    await sim.stop();
  }
});

test('connect with another key on SQLite', async () => {
  const sim = await startSim();
  const w = new Workdir('sfsync-ops-', { sqlite: true });
  try {
    const global = [...w.globalArgs, '--workspace', 'ws0'];
    await w.ok(['init'], { global });
    await w.ok(connectArgs(w, sim.url), { global });
    await checkConnectOtherKey(w, sim, () => Number(execFileSync('sqlite3',
      [w.db, 'SELECT count(DISTINCT workspace_id) FROM credentials'],
      { encoding: 'utf8' }).trim()));
  } finally {
    w.remove();
    await sim.stop();
  }
});

test('pull without key file names it', async () => {
  const sim = await startSim();
  const w = new Workdir('sfsync-ops-', { sqlite: true });
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    fs.renameSync(`${w.db}.key`, `${w.db}.key.saved`);
    const pull = await w.fails(['pull', 'contacts']);
    assert.match(pull.stderr, new RegExp('cannot read the stored Salesforce '
      + `credentials: key file '${w.db.replace(/\./g, '\\.')}\\.key' does not `
      + 'exist, but the store holds credentials encrypted with its key, so no '
      + 'new key is made: restore the file, or set SFSYNC_SECRET_KEY to the key'));
    assert.equal(fs.existsSync(`${w.db}.key`), false, 'a new key file was made');

    // status names the cause, not an unreachable Salesforce.
    const st = await w.exits(3, ['status']);
    assert.match(st.stdout, /^problem: +cannot read the stored Salesforce credentials: key file/m);
    assert.match(st.stdout, /^fix: +set SFSYNC_SECRET_KEY to the key/m);
    fs.renameSync(`${w.db}.key.saved`, `${w.db}.key`);
    const wrong = await w.exits(3, ['status'], { env: { SFSYNC_SECRET_KEY: OTHER_KEY } });
    assert.match(wrong.stdout, /^problem: +cannot read the stored Salesforce credentials: cannot decrypt stored credentials: the secret key changed; set SFSYNC_SECRET_KEY to the key/m);
    await w.ok(['status']);
  } finally {
    w.remove();
    await sim.stop();
  }
});

test('workspace options name the fix', async () => {
  const w = new Workdir('sfsync-ops-', { sqlite: true });
  try {
    await w.ok(['init']);
    const bad = await w.exits(1, ['--workspace', 'bad name', 'status']);
    assert.match(bad.stderr, /^sfsync: invalid workspace name 'bad name': use 1 to 64 ASCII letters/);
    assert.doesNotMatch(bad.stderr, /init/);
    const missing = await w.exits(1, ['--workspace', 'nosuch', 'status']);
    assert.match(missing.stderr, /run 'sfsync --workspace nosuch init' to create it/);

    const init = await w.ok(['--workspace', 'nosuch', 'init']);
    assert.match(init.stdout, /^next: sfsync --workspace nosuch connect --login-url URL /m);
    const plain = await w.ok(['init']);
    assert.match(plain.stdout, /^next: sfsync connect --login-url URL /m);

    const serve = await w.exits(1, ['--workspace', 'nosuch', 'serve',
      '--all-workspaces', '--listen', '127.0.0.1:0']);
    assert.match(serve.stderr, /--workspace 'nosuch' and --all-workspaces cannot be combined/);

    await w.ok(['--workspace', 'nosuch', 'contacts', 'add', '--last-name', 'One']);
    const one = await w.exits(1, ['workspaces', 'remove', 'nosuch']);
    assert.match(one.stderr, /workspace 'nosuch' has 1 contact and 0 users,/);
  } finally {
    w.remove();
  }
});

// pg_ctl of the newest installed server, run as the data directory's owner.
function pgCtl(args) {
  const root = '/usr/lib/postgresql';
  const version = fs.readdirSync(root).sort((a, b) => a - b).pop();
  const bin = path.join(root, version, 'bin', 'pg_ctl');
  const cmd = process.getuid() === 0 ? 'runuser' : bin;
  const full = process.getuid() === 0 ? ['-u', 'postgres', '--', bin, ...args] : args;
  execFileSync(cmd, full, { stdio: 'ignore' });
}

test('worker records a round end after an outage', { skip: skipPg }, async () => {
  // A server of its own, which the test stops and starts again.
  const pgDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'sfsync-ops-pg-'));
  fs.chmodSync(pgDir, 0o755);
  const uri = execFileSync(PG_SH, ['start', pgDir], { encoding: 'utf8' }).trim();
  const port = fs.readFileSync(path.join(pgDir, 'port'), 'utf8').trim();
  const sim = await startSim();
  const w = new Workdir('sfsync-ops-', { sqlite: true });
  w.db = uri;
  w.globalArgs = ['--db', uri];
  w.env.SFSYNC_SECRET_KEY_FILE = path.join(w.dir, 'sfsync.db.key');
  let worker;
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    for (let i = 0; i < 5; i++) {
      await w.ok(['contacts', 'add', '--last-name', `Outage${i}`]);
    }
    await setFaults(sim.url, { latency: 800 });
    worker = w.spawn(['worker', '--poll', '1', '--worker-id', 'o']);
    const status = () => pgExec(uri, "SELECT status FROM runs WHERE kind = 'sync' "
      + 'ORDER BY id LIMIT 1').trim();
    for (let i = 0; i < 200 && status() !== 'running'; i++) await sleep(50);
    assert.equal(status(), 'running', 'the worker started no round');

    pgCtl(['-D', path.join(pgDir, 'data'), '-m', 'fast', '-w', 'stop']);
    await sleep(2500);
    await setFaults(sim.url, { latency: 0 });
    pgCtl(['-D', path.join(pgDir, 'data'), '-l', path.join(pgDir, 'server.log'),
      '-o', `-p ${port}`, '-w', 'start']);
    // The worker reconnects after its pause and records the end first.
    let now = 'running';
    for (let i = 0; i < 150 && now === 'running'; i++) {
      await sleep(100);
      try { now = status(); } catch { now = 'running'; }
    }
    assert.equal(worker.proc.exitCode, null, 'the worker exited');
    assert.equal(now, 'failed');
    const message = pgExec(uri, "SELECT message FROM runs WHERE kind = 'sync' "
      + 'ORDER BY id LIMIT 1');
    assert.match(message, /the store failed as the round ended, so its end was recorded later/);
    const errorCode = pgExec(uri, "SELECT error_code FROM runs WHERE kind = 'sync' "
      + 'ORDER BY id LIMIT 1').trim();
    assert.equal(errorCode, 'store');
  } finally {
    if (worker) {
      worker.proc.kill('SIGTERM');
      await worker.done;
    }
    w.remove();
    await sim.stop();
    execFileSync(PG_SH, ['stop', pgDir]);
    fs.rmSync(pgDir, { recursive: true, force: true });
  }
});
