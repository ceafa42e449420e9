// SPDX-License-Identifier: MIT
// sfsync keeps secrets out of its output: no command prints the client
// secret, the password, an access token or a refresh token, even at
// --log-level debug, and the database and its key file are private.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
  startSim, Workdir, CLIENT_ID, passwordGrantFor, clientCredentials, setFaults,
  sleep,
} from './lib.mjs';

const SECRET = 'Cl13nt-S3cret-for-the-secrets-test';
const USER = 'agent@example.com';
const PASSWORD = 'Pa55-word-for-the-secrets-test';
// Token shapes of sfsim, which follow Salesforce's. An access token is the
// org id, '!' and random text, and a refresh token is 87 base62 characters.
const ACCESS_TOKEN = /00D\w{12,15}![.\w]+/;
const REFRESH_TOKEN = /(^|[^0-9A-Za-z])[0-9A-Za-z]{87}([^0-9A-Za-z]|$)/;

let sim;
let w;
const outputs = []; // every run's stdout and stderr

before(async () => {
  sim = await startSim(['--client-secret', SECRET, '--user', `${USER}:${PASSWORD}`,
    '--generate', 'contacts=25,leads=5,accounts=2', '--token-lifetime', '2']);
  w = new Workdir();
});

after(async () => {
  w.remove();
  await sim.stop();
});

// Run sfsync at debug level and keep what it printed.
async function debugRun(args, opts = {}) {
  const res = await w.run(['--log-level', 'debug', ...args], opts);
  outputs.push({ args, text: res.stdout + res.stderr });
  return res;
}

function assertNoSecrets(text, source) {
  assert.ok(!text.includes(SECRET), `${source}: contains the client secret`);
  assert.ok(!text.includes(PASSWORD), `${source}: contains the password`);
  assert.doesNotMatch(text, ACCESS_TOKEN, `${source}: contains an access token`);
  assert.doesNotMatch(text, REFRESH_TOKEN, `${source}: contains a refresh token`);
}

// Check the database files of dir (not its key file) for plain secrets.
function assertDbHasNoSecrets(dir) {
  const names = fs.readdirSync(dir.dir)
    .filter((n) => n.startsWith('sfsync.db') && n !== 'sfsync.db.key');
  assert.ok(names.includes('sfsync.db'), names.join(' '));
  for (const name of names) {
    const bytes = fs.readFileSync(`${dir.dir}/${name}`).toString('latin1');
    assertNoSecrets(bytes, name);
  }
}

test('token patterns match sfsim tokens', async () => {
  // Checks the patterns themselves, so that the checks below can fail.
  const pw = await passwordGrantFor(sim.url, USER, PASSWORD, SECRET);
  assert.match(pw.access_token, ACCESS_TOKEN);
  assert.match(pw.refresh_token, REFRESH_TOKEN);
  const cc = await clientCredentials(sim.url, { clientSecret: SECRET });
  assert.match(cc.access_token, ACCESS_TOKEN);
});

test('no command prints a secret', async () => {
  const secretFile = w.file('secret', `${SECRET}\n`);
  const passwordFile = w.file('password', `${PASSWORD}\n`);
  const connect = ['connect', '--login-url', sim.url, '--client-id', CLIENT_ID,
    '--client-secret-file', secretFile, '--grant', 'password',
    '--username', USER, '--password-file', passwordFile];
  const steps = [
    ['init'],
    connect,
    ['status'],
    ['status', '--json'],
    ['pull', 'contacts'],
    ['pull', 'leads', '--json'],
    ['contacts', 'list'],
    ['contacts', 'list', '--json'],
    ['contacts', 'show', '1'],
    ['contacts', 'show', '1', '--json'],
    ['config', 'list'],
    ['config', 'list', '--json'],
    ['config', 'set', 'direction', 'from-salesforce'],
  ];
  for (const args of steps) {
    const res = await debugRun(args);
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
  }
  // The access token expires, so the next commands refresh it.
  await sleep(2200);
  let res = await debugRun(['status', '--json']);
  assert.equal(JSON.parse(res.stdout).connection.healthy, true);
  res = await debugRun(['pull', 'contacts', '--json']);
  assert.equal(JSON.parse(res.stdout).unchanged, 25);
  // A rejected refresh prints its error, which must not quote the token.
  await sleep(2200);
  await setFaults(sim.url, { 'refresh-revoked': 1 });
  res = await debugRun(['pull', 'contacts']);
  assert.notEqual(res.code, 0);
  await debugRun(['status']);
  await setFaults(sim.url, { 'refresh-revoked': 0 });
  // A wrong secret in the environment, then the right one.
  res = await debugRun(['connect', '--login-url', sim.url, '--client-id', CLIENT_ID],
    { env: { SFSYNC_CLIENT_SECRET: `${SECRET}-wrong` } });
  assert.notEqual(res.code, 0);
  res = await debugRun(['connect', '--login-url', sim.url, '--client-id', CLIENT_ID],
    { env: { SFSYNC_CLIENT_SECRET: SECRET } });
  assert.equal(res.code, 0, res.stderr);
  res = await debugRun(['pull', 'contacts', '--json']);
  assert.equal(res.code, 0, res.stderr);
  // The tokens, secret and password are stored, encrypted.
  assertDbHasNoSecrets(w);
  res = await debugRun(['disconnect']);
  assert.equal(res.code, 0, res.stderr);

  // Debug logging was on: the requests were logged.
  const all = outputs.map((o) => o.text).join('\n');
  assert.match(all, /DEBUG/);
  for (const { args, text } of outputs) assertNoSecrets(text, `sfsync ${args.join(' ')}`);
  assertDbHasNoSecrets(w);
});

test('database files are mode 0600', async () => {
  // Even with a permissive umask.
  const old = process.umask(0o000);
  const fresh = new Workdir();
  try {
    await fresh.ok(['init']);
    await fresh.ok(['connect', '--login-url', sim.url, '--client-id', CLIENT_ID],
      { env: { SFSYNC_CLIENT_SECRET: SECRET } });
    await fresh.ok(['pull', 'contacts']);
    assertDbHasNoSecrets(fresh);
    for (const dir of [w, fresh]) {
      const files = fs.readdirSync(dir.dir).filter((n) => n.startsWith('sfsync.db'));
      assert.ok(files.includes('sfsync.db'), files.join(' '));
      assert.ok(files.includes('sfsync.db.key'), files.join(' '));
      for (const name of files) {
        const mode = fs.statSync(`${dir.dir}/${name}`).mode & 0o777;
        assert.equal(mode.toString(8), '600', `mode of ${name}`);
      }
    }
  } finally {
    process.umask(old);
    fresh.remove();
  }
});
