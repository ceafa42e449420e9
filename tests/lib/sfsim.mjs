// SPDX-License-Identifier: MIT
// Starts a real sfsim process on a free port of 127.0.0.1 for a test and
// stops it afterwards. The binary comes from $SFSIM, which CTest sets.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';

export const CLIENT_ID = 'sfsim-client-id';
export const CLIENT_SECRET = 'sfsim-client-secret';

// Start sfsim with extra arguments. Resolves to {url, proc, stderr(), stop()}.
export async function startSim(args = [], { env = {} } = {}) {
  const bin = process.env.SFSIM;
  if (!bin) throw new Error('SFSIM is not set: point it at the sfsim binary');
  const proc = spawn(bin, ['--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderr += d; });
  const lines = readline.createInterface({ input: proc.stdout });
  const first = await new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`sfsim exited with ${code}: ${stderr}`));
    const onError = (e) => reject(new Error(`cannot start sfsim '${bin}': ${e.message}`));
    proc.once('exit', onExit);
    proc.once('error', onError);
    lines.once('line', (l) => {
      proc.off('exit', onExit);
      proc.off('error', onError);
      resolve(l);
    });
  });
  const m = /^sfsim listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
  if (!m) throw new Error(`unexpected first line from sfsim: ${first}`);
  const url = m[1];
  return {
    url,
    proc,
    stderr: () => stderr,
    // Stop with SIGTERM and fail when sfsim did not exit cleanly, so that
    // sanitizer reports (leaks, memory errors) fail the test that caused them.
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await once(proc, 'exit');
      }
      if (proc.exitCode !== 0) {
        throw new Error(`sfsim exited with ${proc.exitCode ?? proc.signalCode}:`
          + `\n${stderr.slice(-4000)}`);
      }
    },
  };
}

// Get an access token with the client credentials grant.
export async function clientCredentials(url, {
  clientId = CLIENT_ID, clientSecret = CLIENT_SECRET,
} = {}) {
  const res = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`token: ${JSON.stringify(body)}`);
  return body;
}

// Get tokens for a named user with the password grant.
export async function passwordGrant(url, username, password) {
  const res = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      username,
      password,
    }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`token: ${JSON.stringify(body)}`);
  return body;
}

// Call the REST API with a bearer token; returns {status, headers, body}.
export async function api(url, token, method, path, body, headers = {}) {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
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
