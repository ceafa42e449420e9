// SPDX-License-Identifier: MIT
// Helpers for the sfsync command-line tests: run the real sfsync binary
// ($SFSYNC, which CTest sets) in its own temporary directory with its own
// database, against a real sfsim started by ../lib/sfsim.mjs.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startSim, clientCredentials, api, CLIENT_ID, CLIENT_SECRET }
  from '../lib/sfsim.mjs';

export { startSim, clientCredentials, api, CLIENT_ID, CLIENT_SECRET };

export const V = '/services/data/v60.0';

// A run of sfsync that takes longer than this is killed and fails the test.
// SFSYNC_TEST_RUN_TIMEOUT_MS raises it for a slower store: the PostgreSQL
// pass of scripts/test.sh, where every row written is a round trip to the
// server.
const RUN_TIMEOUT_MS = Number(process.env.SFSYNC_TEST_RUN_TIMEOUT_MS) || 60000;

// Lines that AddressSanitizer, LeakSanitizer and UBSan print on a finding.
const SANITIZER_REPORT =
  /ERROR: (Address|Leak|Memory|Thread)Sanitizer|SUMMARY: \w+Sanitizer|runtime error:/;

// The environment of every sfsync run: the caller's, minus the variables
// that would point sfsync at another database or secret, plus leak checks
// for a sanitizer build (ignored by a normal build).
function childEnv(extra) {
  const env = { ...process.env };
  delete env.SFSYNC_DB;
  delete env.SFSYNC_CLIENT_SECRET;
  env.ASAN_OPTIONS = ['detect_leaks=1', process.env.ASAN_OPTIONS]
    .filter(Boolean).join(':');
  return { ...env, ...extra };
}

// Start sfsync with args in cwd. Returns {proc, done}, where done resolves
// to {code, signal, stdout, stderr} once it exits. A run longer than
// timeoutMs is killed.
export function spawnSfsync(args, { cwd, env = {}, timeoutMs = RUN_TIMEOUT_MS } = {}) {
  const bin = process.env.SFSYNC;
  if (!bin) throw new Error('SFSYNC is not set: point it at the sfsync binary');
  const proc = spawn(bin, args, {
    cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const done = once(proc, 'close').then(([code, signal]) => {
    clearTimeout(timer);
    return { code, signal, stdout, stderr, args };
  });
  return { proc, done };
}

// Fail when a run's stderr contains a sanitizer report.
export function assertNoSanitizerReport(res) {
  const m = SANITIZER_REPORT.exec(res.stderr);
  assert.equal(m, null, `sanitizer report from 'sfsync ${res.args.join(' ')}':`
    + `\n${res.stderr.slice(-6000)}`);
}

// Describe a run for an assertion message.
export function describeRun(res) {
  return `sfsync ${res.args.join(' ')} exited ${res.code ?? res.signal}\n`
    + `stdout: ${res.stdout.slice(-3000)}\nstderr: ${res.stderr.slice(-3000)}`;
}

// The PostgreSQL server of the tests, from SFSYNC_TEST_PG
// (postgresql://user@127.0.0.1:PORT/postgres), or '' for SQLite files.
export const TEST_PG = process.env.SFSYNC_TEST_PG || '';

// psql from PATH, or from the newest server's directory.
function psqlPath() {
  for (const dir of (process.env.PATH || '').split(':')) {
    if (dir && fs.existsSync(path.join(dir, 'psql'))) return path.join(dir, 'psql');
  }
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
  for (const v of versions.reverse()) {
    const p = path.join(root, v, 'bin', 'psql');
    if (fs.existsSync(p)) return p;
  }
  throw new Error('SFSYNC_TEST_PG is set but psql is not installed');
}

// Run one SQL command on a database of the test server; returns stdout.
export function pgExec(uri, sql) {
  return execFileSync(psqlPath(), [uri, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1',
    '-c', sql], { encoding: 'utf8' });
}

// The URI of database name on the test server.
export function pgUri(name) {
  const url = new URL(TEST_PG);
  url.pathname = `/${name}`;
  return url.toString();
}

// Create a new empty database on the test server; returns its URI.
export function pgCreateDatabase() {
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  pgExec(TEST_PG, `CREATE DATABASE ${name}`);
  return { name, uri: pgUri(name) };
}

export function pgDropDatabase(name) {
  pgExec(TEST_PG, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

// A temporary directory with its own database, where sfsync runs: a SQLite
// file in the directory, or with SFSYNC_TEST_PG set a new PostgreSQL
// database whose credentials key file is in the directory.
// With sqlite set, the database is a SQLite file whatever SFSYNC_TEST_PG
// says.
export class Workdir {
  constructor(prefix = 'sfsync-cli-', { sqlite = false } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.db = path.join(this.dir, 'sfsync.db');
    this.env = {};
    if (TEST_PG && !sqlite) {
      const { name, uri } = pgCreateDatabase();
      this.pgName = name;
      this.db = uri;
      this.env.SFSYNC_SECRET_KEY_FILE = path.join(this.dir, 'sfsync.db.key');
    }
    this.globalArgs = ['--db', this.db];
  }

  // Run sfsync with --db and args, and fail on a sanitizer report.
  async run(args, opts = {}) {
    const res = await this.spawn(args, opts).done;
    assertNoSanitizerReport(res);
    return res;
  }

  spawn(args, { env = {}, global = this.globalArgs, timeoutMs } = {}) {
    return spawnSfsync([...global, ...args], {
      cwd: this.dir, env: { ...this.env, ...env }, timeoutMs,
    });
  }

  // Run and require exit 0; returns the result.
  async ok(args, opts) {
    const res = await this.run(args, opts);
    assert.equal(res.code, 0, describeRun(res));
    return res;
  }

  // Run and require exit 0; returns stdout parsed as JSON.
  async json(args, opts) {
    const res = await this.ok(args, opts);
    return JSON.parse(res.stdout);
  }

  // Run and require the given exit status; returns the result.
  async exits(code, args, opts) {
    const res = await this.run(args, opts);
    assert.equal(res.code, code, describeRun(res));
    return res;
  }

  // Run and require a non-zero exit; returns the result.
  async fails(args, opts) {
    const res = await this.run(args, opts);
    assert.notEqual(res.code, 0, describeRun(res));
    assert.equal(res.signal, null, describeRun(res));
    return res;
  }

  file(name, text, mode = 0o600) {
    const p = path.join(this.dir, name);
    fs.writeFileSync(p, text, { mode });
    return p;
  }

  // Every local contact, read with contacts list --json page by page.
  async contacts() {
    const all = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.json(['contacts', 'list', '--json',
        '--limit', '1000', '--offset', String(offset)]);
      all.push(...page.contacts);
      if (all.length >= page.total || page.contacts.length === 0) {
        assert.equal(all.length, page.total, 'contacts list paging');
        return all;
      }
    }
  }

  remove() {
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.pgName) pgDropDatabase(this.pgName);
  }
}

// The arguments of connect with the client credentials grant, the secret
// coming from a file in the work directory.
export function connectArgs(w, url, { secret = CLIENT_SECRET } = {}) {
  return ['connect', '--login-url', url, '--client-id', CLIENT_ID,
    '--client-secret-file', w.file('client-secret', `${secret}\n`)];
}

// Start sfsim with simArgs, make a work directory, init and connect it.
// Returns {sim, w, token}, token being one of sfsim's own for its API.
export async function connectedSim(simArgs = []) {
  const sim = await startSim(simArgs);
  const w = new Workdir();
  await w.ok(['init']);
  await w.ok(connectArgs(w, sim.url));
  const { access_token: token } = await clientCredentials(sim.url);
  return { sim, w, token };
}

// Stop sfsim (failing on an unclean exit) and remove the work directory.
export async function cleanUp({ sim, w }) {
  if (w) w.remove();
  if (sim) await sim.stop();
}

// Run a SOQL query on sfsim and follow nextRecordsUrl to the end.
export async function queryAll(url, token, soql) {
  let res = await api(url, token, 'GET', `${V}/query?q=${encodeURIComponent(soql)}`);
  assert.equal(res.status, 200, res.text);
  const records = [...res.body.records];
  const totalSize = res.body.totalSize;
  while (!res.body.done) {
    res = await api(url, token, 'GET', res.body.nextRecordsUrl);
    assert.equal(res.status, 200, res.text);
    records.push(...res.body.records);
  }
  return { totalSize, records };
}

// COUNT() of a SOQL query, from sfsim.
export async function count(url, token, soql) {
  const res = await api(url, token, 'GET', `${V}/query?q=${encodeURIComponent(soql)}`);
  assert.equal(res.status, 200, res.text);
  return res.body.totalSize;
}

// Get tokens for a user with the password grant and a given client secret.
export async function passwordGrantFor(url, username, password, clientSecret) {
  const res = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: CLIENT_ID,
      client_secret: clientSecret,
      username,
      password,
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

// Switch sfsim faults on or off with PUT /sim/faults.
export async function setFaults(url, faults) {
  const res = await fetch(`${url}/sim/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  assert.equal(res.status, 200, await res.text());
}

// Set raw field values of a record with PATCH /sim/records/{id}.
export async function patchRecord(url, id, fields) {
  const res = await fetch(`${url}/sim/records/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  assert.equal(res.status, 200, await res.text());
}

// Convert a Lead with POST /sim/leads/{id}/convert; returns
// {leadId, contactId, accountId}.
export async function convertLead(url, id, body = {}) {
  const res = await fetch(`${url}/sim/leads/${id}/convert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

// The contacts' row data keyed by local id, for before/after comparisons.
export function byId(contacts) {
  return new Map(contacts.map((c) => [c.id, c]));
}

export function sleep(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}
