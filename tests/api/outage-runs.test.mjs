// SPDX-License-Identifier: MIT
// Runs of `sfsync serve` cut off by a PostgreSQL restart: the sync round
// and the API pull whose end the store could not record are recorded as
// "failed" once the server is back, while serve keeps running. Each test
// runs a PostgreSQL server of its own (scripts/pg.sh), since it stops and
// starts it, and runs only with SFSYNC_TEST_PG set.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { TEST_PG, pgExec } from '../cli/lib.mjs';
import {
  ADMIN, Client, Server, connectArgs, setFaults, sleep, startSim, waitFor,
} from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PG_SH = path.join(HERE, '..', '..', 'scripts', 'pg.sh');

const skipPg = TEST_PG ? false : 'SFSYNC_TEST_PG is not set: the test '
  + 'restarts a PostgreSQL server';

// The directory of the newest installed PostgreSQL server's binaries.
function pgBin() {
  const root = '/usr/lib/postgresql';
  const versions = fs.readdirSync(root).sort((a, b) => Number(a) - Number(b));
  return path.join(root, versions[versions.length - 1], 'bin');
}

function pgCtl(pgDir, args) {
  const all = [path.join(pgBin(), 'pg_ctl'), '-D', path.join(pgDir, 'data'),
    ...args];
  if (process.getuid() === 0) {
    execFileSync('runuser', ['-u', 'postgres', '--', ...all]);
  } else {
    execFileSync(all[0], all.slice(1));
  }
}

// Stop the server of pgDir, wait ms, and start it again on its port.
async function restartPg(pgDir, ms) {
  const port = fs.readFileSync(path.join(pgDir, 'port'), 'utf8').trim();
  pgCtl(pgDir, ['-m', 'fast', '-w', 'stop']);
  await sleep(ms);
  pgCtl(pgDir, ['-l', path.join(pgDir, 'server.log'), '-o', `-p ${port}`,
    '-w', '-t', '30', 'start']);
}

// Run fn with a PostgreSQL server of its own, a sim started with simArgs
// and an initialised, connected store on that server with the user ADMIN.
async function withStack(simArgs, fn) {
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfsync-outage-runs-'));
  fs.chmodSync(pgDir, 0o755);
  const uri = execFileSync(PG_SH, ['start', pgDir], { encoding: 'utf8' }).trim();
  const sim = await startSim(simArgs);
  const server = new Server({ db: uri,
    env: { SFSYNC_SECRET_KEY_FILE: path.join(pgDir, 'sfsync.key') } });
  try {
    await server.init();
    await server.addUser(ADMIN.name, 'admin', ADMIN.password);
    await server.w.ok(connectArgs(server.w, sim.url));
    await fn({ pgDir, uri, sim, server });
  } finally {
    await server.stop();
    await sim.stop();
    execFileSync(PG_SH, ['stop', pgDir]);
    fs.rmSync(pgDir, { recursive: true, force: true });
  }
}

// The status, error code and message of run id, or null while the store
// fails.
function runRow(uri, id) {
  try {
    const line = pgExec(uri, 'SELECT status, coalesce(error_code, \'\'), '
      + `coalesce(message, '') FROM runs WHERE id = ${Number(id)}`).trim();
    const [status, errorCode, ...message] = line.split('|');
    return { status, errorCode, message: message.join('|') };
  } catch {
    return null;
  }
}

// Wait until run id leaves "running" and return its row; a timeout
// shows what serve logged.
async function waitForEnd(uri, id, server) {
  try {
    const { value } = await waitFor(() => {
      const row = runRow(uri, id);
      return row && row.status !== 'running' ? row : null;
    }, 30000, `the end of run ${id}`);
    return value;
  } catch (e) {
    e.message += `\nsfsync serve logged:\n${server.stderr}`;
    throw e;
  }
}

test('round cut off by restart fails', { skip: skipPg }, async () => {
  await withStack([], async ({ pgDir, uri, sim, server }) => {
    for (let i = 0; i < 5; i++) {
      await server.w.ok(['contacts', 'add', '--last-name', `Outage${i}`]);
    }
    // Every API call takes 800 ms, so the restart falls inside the round.
    await setFaults(sim.url, { latency: 800 });
    await server.start();
    const { value: id } = await waitFor(() => Number(pgExec(uri,
      "SELECT coalesce(max(id), 0) FROM runs WHERE kind = 'sync' "
      + "AND status = 'running'").trim()), 20000, 'a running sync round');

    await restartPg(pgDir, 2500);
    await setFaults(sim.url, { latency: 0 });
    const row = await waitForEnd(uri, id, server);
    assert.equal(server.proc.exitCode, null, 'sfsync serve exited');
    assert.equal(row.status, 'failed', row.message);
    assert.equal(row.errorCode, 'store', row.message);
    assert.match(row.message,
      /^the store failed as the round ended, so its end was recorded later: /);
    assert.match(server.stderr, /run end not recorded, retrying/);
    // The log line may arrive just after the row changed.
    await waitFor(() => /run end recorded/.test(server.stderr), 5000,
      "serve's log of the recorded end");
  });
});

test('API pull cut off by restart fails', { skip: skipPg }, async () => {
  await withStack(['--generate', 'contacts=6000,accounts=20'],
    async ({ pgDir, uri, sim, server }) => {
      // --all-workspaces runs no background rounds, so only the pull runs.
      await server.start(['--all-workspaces']);
      const admin = new Client(server.url);
      const signIn = await admin.req('POST', '/api/session',
        { workspace: 'default', username: ADMIN.name, password: ADMIN.password });
      assert.equal(signIn.status, 200, signIn.text);
      admin.cookie = /^(sfsync_session=[^;]+)/.exec(
        signIn.headers.get('set-cookie'))[1];
      admin.csrf = signIn.body.csrf_token;
      // Every API call takes a second, so the pull stays in its first pages.
      await setFaults(sim.url, { latency: 1000 });
      const res = await admin.req('POST', '/api/pulls', { object: 'contacts' });
      assert.equal(res.status, 202, res.text);
      const id = res.body.run_id;
      assert.equal(runRow(uri, id).status, 'running');

      await restartPg(pgDir, 2500);
      await setFaults(sim.url, { latency: 0 });
      const row = await waitForEnd(uri, id, server);
      assert.equal(server.proc.exitCode, null, 'sfsync serve exited');
      assert.equal(row.status, 'failed', row.message);
      assert.equal(row.errorCode, 'store', row.message);
      assert.match(row.message,
        /^the store failed as the pull ended, so its end was recorded later: /);
    });
});
