// SPDX-License-Identifier: MIT
// The error_code of runs: null for a pull that finished ok, and "auth" for
// a run that failed because Salesforce rejected the stored sign-in, in
// GET /api/runs, GET /api/runs/{id} and `sfsync runs --json`. The
// connection uses the authorization code flow, whose refresh token sfsim
// revokes on demand.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ADMIN, Client, Server, setFaults, startSim, waitFor, CLIENT_ID,
  CLIENT_SECRET,
} from './lib.mjs';

const REP = { name: 'rep@sfsim.local', password: 'rep-password-1' };

let sim;
let server;
let admin;

before(async () => {
  sim = await startSim(['--user', `${REP.name}:${REP.password}`,
    '--generate', 'contacts=20,leads=5,accounts=2']);
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.start();
  admin = new Client(server.url);
  await admin.signIn(ADMIN);
});

after(async () => {
  await server.stop();
  await sim.stop();
});

// Connect serve with the authorization code flow, posting sfsim's
// authorize form as the user's browser would.
async function connectWithCode() {
  const started = await admin.req('POST', '/api/integration/connect', {
    flow: 'authorization_code', login_url: sim.url, client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  assert.equal(started.status, 200, started.text);
  const page = await fetch(started.body.authorize_url);
  assert.equal(page.status, 200);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(m[1], m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'"));
  }
  form.set('username', REP.name);
  form.set('password', REP.password);
  form.set('approve', '1');
  const approved = await fetch(new URL('/services/oauth2/authorize', sim.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  });
  assert.equal(approved.status, 302, await approved.text());
  const back = await fetch(approved.headers.get('location'),
    { redirect: 'manual' });
  assert.equal(back.headers.get('location'), '/#integration?connected=1');
}

// Start a pull of contacts and return its finished run.
async function finishedPull() {
  const { value: started } = await waitFor(async () => {
    const res = await admin.req('POST', '/api/pulls', { object: 'contacts' });
    // 409 while the round that connecting started still runs.
    return res.status === 202 && res;
  }, 60000, 'the pull to start');
  const { value: run } = await waitFor(async () => {
    const res = await admin.req('GET', `/api/runs/${started.body.run_id}`);
    assert.equal(res.status, 200, res.text);
    return res.body.status !== 'running' && res.body;
  }, 60000, 'the pull to finish');
  return run;
}

test('ok run has a null error_code', async () => {
  await connectWithCode();
  const run = await finishedPull();
  assert.equal(run.status, 'ok', JSON.stringify(run));
  assert.ok('error_code' in run, JSON.stringify(run));
  assert.equal(run.error_code, null);
  const list = await admin.req('GET', '/api/runs?kind=pull');
  assert.equal(list.status, 200, list.text);
  const listed = list.body.runs.find((r) => r.id === run.id);
  assert.equal(listed.error_code, null, JSON.stringify(listed));
});

test('auth failure has error_code auth', async () => {
  // The access token dies at its next call and its refresh fails, as
  // after a revocation in Salesforce.
  await setFaults(sim.url, { 'expire-after': 1, 'refresh-revoked': 1 });
  const res = await admin.req('POST', '/api/pulls', { object: 'contacts' });
  // 409 not_connected when a scheduled round failed on the token first.
  assert.ok(res.status === 202 || res.status === 409, res.text);
  const { value: failed } = await waitFor(async () => {
    const list = await admin.req('GET', '/api/runs');
    assert.equal(list.status, 200, list.text);
    return list.body.runs.find((r) => r.status === 'failed');
  }, 60000, 'a failed run');
  assert.equal(failed.error_code, 'auth', JSON.stringify(failed));
  if (res.status === 202) {
    assert.equal(failed.id, res.body.run_id, JSON.stringify(failed));
  }
  const fetched = await admin.req('GET', `/api/runs/${failed.id}`);
  assert.equal(fetched.status, 200, fetched.text);
  assert.equal(fetched.body.error_code, 'auth', fetched.text);

  // sfsync runs --json reads the same rows.
  const rows = await server.w.json(['runs', '--json']);
  const row = rows.find((r) => r.id === failed.id);
  assert.equal(row.error_code, 'auth', JSON.stringify(row));
  const ok = rows.find((r) => r.kind === 'pull' && r.status === 'ok');
  assert.ok(ok, JSON.stringify(rows));
  assert.equal(ok.error_code, null, JSON.stringify(ok));
  await setFaults(sim.url, { 'expire-after': 0, 'refresh-revoked': 0 });
});
