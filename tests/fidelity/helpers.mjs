// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// Shared set-up for the fidelity tests: loads the real jsforce package,
// opens jsforce connections to an sfsim started by ../lib/sfsim.mjs, and
// records the HTTP exchanges jsforce makes so that tests can check what
// went over the wire. It starts no process itself.
import assert from 'node:assert/strict';
import dc from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  api, clientCredentials, passwordGrant, startSim, CLIENT_ID, CLIENT_SECRET,
} from '../lib/sfsim.mjs';

export {
  api, clientCredentials, passwordGrant, sleep, startSim, CLIENT_ID,
  CLIENT_SECRET,
};

let loaded;
try {
  loaded = (await import('jsforce')).default;
} catch (e) {
  throw new Error('jsforce is not installed in tests/fidelity: run '
    + `"npm ci" in that folder first (${e.message})`);
}

export const jsforce = loaded;
export const API_VERSION = '60.0';
export const BASE_PATH = `/services/data/v${API_VERSION}`;

// Stop an sfsim started by startSim() and check that it exited with status 0
// and that no sanitizer report reached its stderr. Accepts undefined, so
// that an `after` hook also works when `before` failed.
export async function stopSim(sim) {
  if (!sim) return;
  await sim.stop();
  const log = sim.stderr();
  assert.doesNotMatch(log, /ERROR: (Address|Leak)Sanitizer|runtime error:/,
    `sanitizer report from sfsim:\n${log}`);
  assert.equal(sim.proc.exitCode, 0,
    `sfsim exited with ${sim.proc.exitCode} (${sim.proc.signalCode}):\n${log}`);
}

// Open a jsforce connection that runs as the integration user, with an
// access token from the client credentials grant and no refresh.
export async function connectIntegration(sim, options = {}) {
  const token = await clientCredentials(sim.url);
  return new jsforce.Connection({
    instanceUrl: sim.url,
    accessToken: token.access_token,
    version: API_VERSION,
    ...options,
  });
}

// Open a jsforce connection that can refresh its session: the access and
// refresh tokens come from the password grant for `username`, and jsforce
// refreshes through the OAuth 2.0 token endpoint of the simulator.
export async function connectWithRefresh(sim, username, password,
  options = {}) {
  const token = await passwordGrant(sim.url, username, password);
  assert.ok(token.refresh_token,
    `password grant for ${username} returned no refresh_token`);
  const conn = new jsforce.Connection({
    oauth2: {
      loginUrl: sim.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    },
    instanceUrl: sim.url,
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    version: API_VERSION,
    ...options,
  });
  return { conn, token };
}

// Record every HTTP request that node's http client sends (jsforce 3.10.16
// uses node-fetch, which is built on it) and the status of each reply.
// Node's built-in fetch, which ../lib/sfsim.mjs uses, is not recorded.
// Call stop() when done. An exchange whose reply never came has status null.
export function recordWire() {
  const exchanges = [];
  const byRequest = new WeakMap();
  const onStart = ({ request }) => {
    const entry = { method: request.method, path: request.path, status: null };
    byRequest.set(request, entry);
    exchanges.push(entry);
  };
  const onFinish = ({ request, response }) => {
    const entry = byRequest.get(request);
    if (entry) entry.status = response.statusCode;
  };
  dc.subscribe('http.client.request.start', onStart);
  dc.subscribe('http.client.response.finish', onFinish);
  return {
    exchanges,
    stop() {
      dc.unsubscribe('http.client.request.start', onStart);
      dc.unsubscribe('http.client.response.finish', onFinish);
    },
    // Exchanges whose path, without the query string, matches `pattern`.
    matching(method, pattern) {
      return exchanges.filter((e) => e.method === method
        && pattern.test(e.path.split('?')[0]));
    },
  };
}

// Run `fn` while recording the wire. Resolves to {result, wire}.
export async function onWire(fn) {
  const wire = recordWire();
  try {
    const result = await fn();
    return { result, wire };
  } finally {
    wire.stop();
  }
}

// Await a promise that must reject with a Salesforce error `code`, check
// that jsforce exposes the code as both `errorCode` and `name`, and return
// the error for further checks.
export async function rejectsWithCode(promise, code) {
  let error = null;
  let value;
  try {
    value = await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${code}, but the call returned `
    + JSON.stringify(value));
  assert.ok(error instanceof Error, `rejection is not an Error: ${error}`);
  assert.equal(error.errorCode, code,
    `errorCode of "${error.message}" (data ${JSON.stringify(error.data)})`);
  assert.equal(error.name, code);
  return error;
}

const ID_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

// Return the 18-character form of a 15-character Salesforce id: each of the
// three 5-character chunks adds one letter whose bits mark the upper-case
// characters of that chunk.
export function id18(id15) {
  assert.equal(id15.length, 15);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let j = 0; j < 5; j++) {
      const c = id15[chunk * 5 + j];
      if (c >= 'A' && c <= 'Z') bits |= 1 << j;
    }
    suffix += ID_SUFFIX_ALPHABET[bits];
  }
  return id15 + suffix;
}

// Check that `id` is an 18-character id of the given key prefix with a
// valid case-safe suffix.
export function assertId(id, prefix) {
  assert.equal(typeof id, 'string', `id is not a string: ${id}`);
  assert.match(id, /^[a-zA-Z0-9]{18}$/);
  assert.equal(id.slice(0, 3), prefix, `key prefix of ${id}`);
  assert.equal(id18(id.slice(0, 15)), id, `case-safe suffix of ${id}`);
}

// Return a well-formed id of the given prefix that no record has: its pod
// part "Zz" differs from the one sfsim puts in the ids it issues ("Hn").
export function missingId(prefix) {
  return id18(`${prefix}Zz9000000000`);
}

// Salesforce REST datetimes: UTC, whole seconds, offset without a colon.
export const DATETIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/;

// Send a simulator-only control request under /sim/ and return the parsed
// JSON reply, failing the test on an HTTP error.
export async function simControl(sim, method, path, body) {
  const token = await clientCredentials(sim.url);
  const res = await api(sim.url, token.access_token, method, path, body);
  assert.ok(res.status >= 200, `${method} ${path} returned ${res.status}`);
  assert.ok(res.status < 300,
    `${method} ${path} returned ${res.status}: ${res.text}`);
  return res.body;
}

// Quote a string for a SOQL literal.
export function soqlString(value) {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
