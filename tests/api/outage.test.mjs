// SPDX-License-Identifier: MIT
// Sign-in and API tokens of `sfsync serve` while its PostgreSQL server is
// down: a store failure gets 503 `unavailable`, not the reply to a wrong
// password, and counts as no failed attempt. The test runs a PostgreSQL
// server of its own (scripts/pg.sh), since it stops and starts it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ADMIN, Client, Server, assertError, waitFor } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PG_SH = path.join(HERE, '..', '..', 'scripts', 'pg.sh');

let pgDir;
let uri;
let keyFile;
let token;

// The directory of the newest installed PostgreSQL server's binaries.
function pgBin() {
  const root = '/usr/lib/postgresql';
  const versions = fs.readdirSync(root).sort((a, b) => Number(a) - Number(b));
  return path.join(root, versions[versions.length - 1], 'bin');
}

function pgStop() {
  execFileSync(PG_SH, ['stop', pgDir]);
}

// Start the stopped server again on its port, as pg.sh started it.
function pgStartAgain() {
  const port = fs.readFileSync(path.join(pgDir, 'port'), 'utf8').trim();
  const args = [path.join(pgBin(), 'pg_ctl'), '-D', path.join(pgDir, 'data'),
    '-l', path.join(pgDir, 'server.log'), '-o', `-p ${port}`, '-w', '-t', '30',
    'start'];
  if (process.getuid() === 0) {
    execFileSync('runuser', ['-u', 'postgres', '--', ...args]);
  } else {
    execFileSync(args[0], args.slice(1));
  }
}

// A server on the test's PostgreSQL database, whose credentials key file
// stays in pgDir.
function newServer() {
  return new Server({ db: uri, env: { SFSYNC_SECRET_KEY_FILE: keyFile } });
}

before(async () => {
  pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfsync-outage-pg-'));
  fs.chmodSync(pgDir, 0o755);
  uri = execFileSync(PG_SH, ['start', pgDir], { encoding: 'utf8' }).trim();
  keyFile = path.join(pgDir, 'sfsync.key');
  const server = newServer();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  token = (await server.w.ok(['users', 'token', ADMIN.name])).stdout.trim();
  await server.stop();
});

after(() => {
  pgStop();
  fs.rmSync(pgDir, { recursive: true, force: true });
});

async function checkOutage(args, credentials) {
  const server = newServer();
  await server.start(args);
  try {
    const c = new Client(server.url);
    const bearer = new Client(server.url);
    bearer.bearer = token;
    assert.equal((await bearer.req('GET', '/api/session')).status, 200);

    pgStop();
    // More attempts than the 3 free ones of a username.
    for (let i = 0; i < 5; i++) {
      const res = await c.req('POST', '/api/session', credentials);
      assertError(res, 503, 'unavailable');
      assert.match(res.body.error.message, /store failed/, res.text);
    }
    const who = await bearer.req('GET', '/api/session');
    assertError(who, 503, 'unavailable');
    assert.match(server.stderr, /checking a sign-in failed/);

    pgStartAgain();
    const { value: signedIn } = await waitFor(async () => {
      const res = await c.req('POST', '/api/session', credentials);
      return res.status === 503 ? null : res;
    }, 30000, 'a sign-in after the database is back');
    assert.equal(signedIn.status, 200, signedIn.text);
    const again = await bearer.req('GET', '/api/session');
    assert.equal(again.status, 200, again.text);
  } finally {
    await server.stop();
  }
}

test('sign-in during outage gets 503', async () => {
  await checkOutage([], { username: ADMIN.name, password: ADMIN.password });
});

test('all-workspaces sign-in during outage', async () => {
  await checkOutage(['--all-workspaces'], { workspace: 'default',
    username: ADMIN.name, password: ADMIN.password });
});
