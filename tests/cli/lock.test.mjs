// SPDX-License-Identifier: MIT
// The workspace lock against holders that a process id cannot find: a
// sync in another PID namespace, and a holder whose row names another
// host and a pid that no local process has. The second command must be
// rejected while the holder runs, and the holder's run must stay
// "running".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';

import {
  startSim, clientCredentials, Workdir, connectArgs, setFaults, sleep,
  describeRun, pgExec, TEST_PG,
} from './lib.mjs';

const HOLDS_LOCK = /'sfsync sync' is running on host '[^']+' as process (\d+) since [0-9TZ:.-]+ and holds this workspace's sync lock; wait for it to finish/;

async function withOrg(fn) {
  const sim = await startSim(['--generate', 'contacts=4,leads=2,accounts=2']);
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    await clientCredentials(sim.url);
    await fn({ sim, w });
  } finally {
    w.remove();
    await sim.stop();
  }
}

// Run SQL on the work directory's database, SQLite or PostgreSQL.
function dbExec(w, sql) {
  if (TEST_PG) return pgExec(w.db, sql);
  return execFileSync('sqlite3', [w.db, sql], { encoding: 'utf8' });
}

// The pid of a process that has exited, so no local process has it.
function endedPid() {
  return spawnSync('true').pid;
}

// A pid that no process of this PID namespace has, below pid_max.
function freeHostPid() {
  const max = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = Math.min(max - 1, 30000); pid > 300; pid -= 7) {
    if (!fs.existsSync(`/proc/${pid}`)) return pid;
  }
  throw new Error('no free pid found');
}

// Start `sfsync sync` in a new PID namespace, as process pid of that
// namespace when the user may set ns_last_pid there (root may), else as
// process 2; returns {proc, done}.
function spawnInNamespace(w, pid) {
  const env = { ...process.env, ...w.env };
  delete env.SFSYNC_DB;
  // The trailing exit keeps the shell from replacing itself with sfsync,
  // so sfsync is forked and gets the next pid.
  const script = `echo ${pid - 1} > /proc/sys/kernel/ns_last_pid 2>/dev/null; `
    + '"$0" "$@"; exit $?';
  const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc',
    'sh', '-c', script, process.env.SFSYNC, ...w.globalArgs, 'sync', '--json'],
  { cwd: w.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  const done = once(proc, 'close').then(([code, signal]) => (
    { code, signal, stdout, stderr, args: ['unshare', 'sync'] }));
  return { proc, done };
}

async function runStatuses(w) {
  return (await w.json(['runs', '--json'])).map((r) => r.status);
}

test('sync in another PID namespace keeps the lock', async (t) => {
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
  if (probe.status !== 0) {
    t.skip(`unshare --pid --fork --mount-proc fails for this user: ${
      String(probe.stderr).trim() || probe.error}`);
    return;
  }
  await withOrg(async ({ sim, w }) => {
    await setFaults(sim.url, { latency: 2000 });
    const farPid = freeHostPid();
    const holder = spawnInNamespace(w, farPid);
    // The holder's first request is slow, so it holds the lock by now.
    await sleep(1500);
    const second = await w.fails(['sync']);
    const m = second.stderr.match(HOLDS_LOCK);
    assert.ok(m, second.stderr);
    // The holder's pid is the one of its own namespace.
    assert.notEqual(Number(m[1]), holder.proc.pid);
    if (Number(m[1]) === farPid) {
      assert.ok(!fs.existsSync(`/proc/${farPid}`),
        'the holder\'s pid exists here as well');
    } else {
      t.diagnostic(`ns_last_pid was not writable: the holder is process ${m[1]}`);
    }
    const pull = await w.fails(['pull', 'contacts']);
    assert.match(pull.stderr, HOLDS_LOCK);
    assert.deepEqual(await runStatuses(w), ['running']);

    await setFaults(sim.url, { latency: 0 });
    const res = await holder.done;
    assert.equal(res.code, 0, describeRun(res));
    assert.equal(JSON.parse(res.stdout).status, 'ok');
    assert.deepEqual(await runStatuses(w), ['ok']);
    await w.ok(['sync']);
  });
});

test('holder on another host keeps the lock', async () => {
  await withOrg(async ({ sim, w }) => {
    await setFaults(sim.url, { latency: 2000 });
    const holder = w.spawn(['sync', '--json']);
    await sleep(1500);
    // As a holder on another machine records itself: its host, and a pid
    // that no process here has. The run's owner is that pid as well.
    const farPid = endedPid();
    dbExec(w, `UPDATE locks SET host = 'far-host', pid = ${farPid}`);
    dbExec(w, `UPDATE runs SET owner_pid = ${farPid}`);

    const second = await w.fails(['sync']);
    assert.match(second.stderr, new RegExp(
      `'sfsync sync' is running on host 'far-host' as process ${farPid} since `));
    assert.deepEqual(await runStatuses(w), ['running']);

    await setFaults(sim.url, { latency: 0 });
    const res = await holder.done;
    assert.equal(res.code, 0, describeRun(res));
    // The lock is free now, so the next sync takes it.
    await w.ok(['sync']);
  });
});

test('killed holder frees the lock', async () => {
  await withOrg(async ({ sim, w }) => {
    await setFaults(sim.url, { latency: 2000 });
    const holder = w.spawn(['sync']);
    await sleep(1500);
    holder.proc.kill('SIGKILL');
    await holder.done;
    await setFaults(sim.url, { latency: 0 });
    // The killed holder's row stays, but nothing holds the lock.
    assert.equal(dbExec(w, 'SELECT count(*) FROM locks').trim(), '1');
    await w.ok(['sync']);
    assert.deepEqual((await runStatuses(w)).sort(), ['abandoned', 'ok']);
  });
});
