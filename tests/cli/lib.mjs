// SPDX-License-Identifier: MIT
// Helpers for the sfsync command-line tests: run the real sfsync binary
// ($SFSYNC, which CTest sets) in its own temporary directory with its own
// database, against a real sfsim started by ../lib/sfsim.mjs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startSim, clientCredentials, api, CLIENT_ID, CLIENT_SECRET }
  from '../lib/sfsim.mjs';

export { startSim, clientCredentials, api, CLIENT_ID, CLIENT_SECRET };

export const V = '/services/data/v60.0';

// A run of sfsync that takes longer than this is killed and fails the test.
const RUN_TIMEOUT_MS = 60000;

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

// A temporary directory with its own database, where sfsync runs.
export class Workdir {
  constructor(prefix = 'sfsync-cli-') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.db = path.join(this.dir, 'sfsync.db');
    this.globalArgs = ['--db', this.db];
  }

  // Run sfsync with --db and args, and fail on a sanitizer report.
  async run(args, opts = {}) {
    const res = await this.spawn(args, opts).done;
    assertNoSanitizerReport(res);
    return res;
  }

  spawn(args, { env = {}, global = this.globalArgs, timeoutMs } = {}) {
    return spawnSfsync([...global, ...args], { cwd: this.dir, env, timeoutMs });
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
