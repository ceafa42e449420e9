// SPDX-License-Identifier: MIT
// Helpers for the HTTP API tests: a real sfsim, a real `sfsync serve` on a
// free port with its own temporary database, users made with `sfsync users
// add`, and a small client that keeps the session cookie and CSRF token.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';

import {
  Workdir, startSim, connectArgs, assertNoSanitizerReport, describeRun,
  clientCredentials, api, V, setFaults, sleep, queryAll, count, CLIENT_ID,
  CLIENT_SECRET,
} from '../cli/lib.mjs';

export {
  Workdir, startSim, connectArgs, clientCredentials, api, V, setFaults,
  sleep, queryAll, count, CLIENT_ID, CLIENT_SECRET,
};

export const ADMIN = { name: 'ada', password: 'admin passphrase 1' };
export const AGENT = { name: 'bob', password: 'agent passphrase 2' };

// One `sfsync serve --listen 127.0.0.1:0` with its own database: a SQLite
// file, or with SFSYNC_TEST_PG set a new PostgreSQL database. sqlite forces
// a SQLite file. db names an existing store to serve instead, and env adds
// to the environment of every sfsync run, as the key file of a migrated
// store.
export class Server {
  constructor({ sqlite = false, db = null, env = {} } = {}) {
    this.w = new Workdir('sfsync-api-', { sqlite: sqlite || db !== null });
    if (db !== null) {
      this.w.db = db;
      this.w.globalArgs = ['--db', db];
    }
    Object.assign(this.w.env, env);
    this.proc = null;
    this.url = null;
    this.stderr = '';
  }

  async init() {
    await this.w.ok(['init']);
  }

  async addUser(name, role, password) {
    const file = this.w.file(`password-${name}`, `${password}\n`);
    await this.w.ok(['users', 'add', name, '--role', role,
      '--password-file', file]);
  }

  // Start serving and wait for the line that names the address.
  async start(extraArgs = []) {
    const bin = process.env.SFSYNC;
    if (!bin) throw new Error('SFSYNC is not set: point it at the sfsync binary');
    const env = { ...process.env, ...this.w.env };
    delete env.SFSYNC_DB;
    env.ASAN_OPTIONS = ['detect_leaks=1', process.env.ASAN_OPTIONS]
      .filter(Boolean).join(':');
    this.stderr = '';
    this.proc = spawn(bin, ['--db', this.w.db, 'serve', '--listen',
      '127.0.0.1:0', ...extraArgs], {
      cwd: this.w.dir, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    const lines = readline.createInterface({ input: this.proc.stdout });
    const first = await new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(
        `sfsync serve exited with ${code}: ${this.stderr}`));
      this.proc.once('exit', onExit);
      lines.once('line', (l) => {
        this.proc.off('exit', onExit);
        resolve(l);
      });
    });
    const m = /^sfsync serving (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
    if (!m) throw new Error(`unexpected first line from sfsync serve: ${first}`);
    this.url = m[1];
    return this.url;
  }

  // Send SIGTERM and return {code, signal, stderr} once it exited, failing
  // on a sanitizer report.
  async terminate() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      await once(this.proc, 'exit');
    }
    const res = { code: this.proc.exitCode, signal: this.proc.signalCode,
      stdout: '', stderr: this.stderr, args: ['serve'] };
    assertNoSanitizerReport(res);
    return res;
  }

  // Stop, require exit 0 and remove the work directory.
  async stop() {
    if (this.proc) {
      const res = await this.terminate();
      assert.equal(res.code, 0, describeRun(res));
    }
    this.w.remove();
  }
}

// An API client that signs in with a cookie and sends the CSRF token.
export class Client {
  constructor(url) {
    this.url = url;
    this.cookie = null;
    this.csrf = null;
    this.bearer = null;
  }

  async signIn(user) {
    const res = await this.req('POST', '/api/session',
      { username: user.name, password: user.password });
    assert.equal(res.status, 200, res.text);
    const set = res.headers.get('set-cookie');
    this.cookie = /^(sfsync_session=[^;]+)/.exec(set)[1];
    this.csrf = res.body.csrf_token;
    return res;
  }

  // Send a request; body is JSON unless it is a string, sent as
  // application/json unless headers name another type. csrf: false leaves
  // the X-CSRF-Token header out.
  async req(method, path, body, { headers = {}, csrf = true } = {}) {
    const h = { ...headers };
    if (body !== undefined && !Object.keys(h).some(
      (k) => k.toLowerCase() === 'content-type')) {
      h['content-type'] = 'application/json';
    }
    if (this.cookie) h.cookie = this.cookie;
    if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
    if (csrf && this.csrf) h['x-csrf-token'] = this.csrf;
    const res = await fetch(this.url + path, {
      method, headers: h, redirect: 'manual',
      body: body === undefined ? undefined
        : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = text;
    if ((res.headers.get('content-type') || '').startsWith('application/json')) {
      parsed = text.length ? JSON.parse(text) : null;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }
}

// Fail unless res is an error reply of status and code (and field).
export function assertError(res, status, code, field) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.error.code, code, res.text);
  assert.equal(typeof res.body.error.message, 'string');
  if (field !== undefined) assert.equal(res.body.error.field, field, res.text);
}

// Start sfsim (with simArgs) and an initialised `sfsync serve` with the
// admin ADMIN and the agent AGENT. connect: true connects with client
// credentials first and config settings are set before the start.
// Returns {sim, server, admin, agent, close()} with signed-in clients.
export async function startStack({
  simArgs = [], connect = true, config = {},
} = {}) {
  const sim = await startSim(simArgs);
  const server = new Server();
  try {
    await server.init();
    await server.addUser(ADMIN.name, 'admin', ADMIN.password);
    await server.addUser(AGENT.name, 'agent', AGENT.password);
    if (connect) await server.w.ok(connectArgs(server.w, sim.url));
    for (const [key, value] of Object.entries(config)) {
      await server.w.ok(['config', 'set', key, String(value)]);
    }
    await server.start();
  } catch (e) {
    await server.stop().catch(() => {});
    await sim.stop().catch(() => {});
    throw e;
  }
  const admin = new Client(server.url);
  await admin.signIn(ADMIN);
  const agent = new Client(server.url);
  await agent.signIn(AGENT);
  return {
    sim, server, admin, agent,
    async close() {
      await server.stop();
      await sim.stop();
    },
  };
}

// Poll fn until it returns a truthy value or ms pass; returns the value
// and the time it took.
export async function waitFor(fn, ms, what) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return { value: v, elapsed: Date.now() - start };
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(50);
  }
}
