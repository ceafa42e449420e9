// SPDX-License-Identifier: MIT
// sfsync serve handles only requests whose Host header names it: the
// listen address, localhost, 127.0.0.1, the public_url host or an
// --allow-host name. A site that a DNS rebinding points at 127.0.0.1 thus
// cannot read the API or the page.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { ADMIN, Server } from './lib.mjs';

let server;
let port;

// Send method path to the server with the Host header host (null for
// none); returns {status, body}. fetch() sets Host itself, so this uses
// node:http.
function send(method, path, host, body) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (host !== null) headers.host = host;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request({
      host: '127.0.0.1', port, method, path, headers, setHost: false,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let parsed = text;
        if ((res.headers['content-type'] || '').startsWith('application/json')) {
          parsed = JSON.parse(text);
        }
        resolve({ status: res.statusCode, body: parsed, text });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

async function startServer(args = []) {
  if (server && server.proc) await server.terminate();
  await server.start(args);
  port = Number(new URL(server.url).port);
}

before(async () => {
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await startServer();
});

after(async () => {
  await server.stop();
});

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function assertMisdirected(res, host) {
  assert.equal(res.status, 421, res.text);
  assert.equal(res.body.error.code, 'misdirected_request');
  assert.match(res.body.error.message,
    new RegExp(`^the Host header '${escapeRegExp(host)}' does not name this server: use http://127\\.0\\.0\\.1:${port}, set public_url, or start serve with --allow-host NAME$`));
}

test('one workspace needs no workspace name', async () => {
  const res = await send('GET', '/api/server', `127.0.0.1:${port}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, { all_workspaces: false });
});

test('listen address and localhost pass', async () => {
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
    const page = await send('GET', '/', host);
    assert.equal(page.status, 200, `${host}: ${page.text}`);
    const api = await send('GET', '/api/session', host);
    assert.equal(api.status, 401, `${host}: ${api.text}`);
  }
});

test('other hosts get 421', async () => {
  for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`,
    `localhost:${port}.evil.example`, `[::1]:${port}`]) {
    assertMisdirected(await send('GET', '/', host), host);
    assertMisdirected(await send('GET', '/api/contacts', host), host);
  }
  // A sign-in from a rebound name is rejected before the password is read.
  const signIn = await send('POST', '/api/session', `evil.example:${port}`,
    { username: ADMIN.name, password: ADMIN.password });
  assertMisdirected(signIn, `evil.example:${port}`);
  assert.match(server.stderr, /request with an unknown Host rejected host=evil\.example/);
});

test('missing Host is rejected', async () => {
  for (const host of [null, '']) {
    const res = await send('GET', '/api/contacts', host);
    assert.equal(res.status, 421, res.text);
    assert.equal(res.body.error.message,
      `the Host header is missing or empty: send one that names this server, such as 127.0.0.1:${port}`);
  }
  assert.match(server.stderr, /unknown Host rejected host=\(missing\)/);
});

test('healthz answers any host', async () => {
  const res = await send('GET', '/healthz', '10.1.2.3:8080');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.status, 'ok');
});

test('public_url host passes', async () => {
  await server.w.ok(['config', 'set', 'public_url', 'https://sfsync.example.com/']);
  for (const host of ['sfsync.example.com', 'sfsync.example.com:443', 'SFSYNC.example.com']) {
    const res = await send('GET', '/', host);
    assert.equal(res.status, 200, `${host}: ${res.text}`);
  }
  assertMisdirected(await send('GET', '/', 'sfsync.example.com:8443'),
    'sfsync.example.com:8443');
  await server.w.ok(['config', 'set', 'public_url', 'http://proxy.example:8081']);
  assert.equal((await send('GET', '/', 'proxy.example:8081')).status, 200);
  assertMisdirected(await send('GET', '/', 'sfsync.example.com'), 'sfsync.example.com');
  await server.w.ok(['config', 'set', 'public_url', '']);
});

test('allow-host adds names', async () => {
  await startServer(['--allow-host', 'Proxy.Internal', '--allow-host', 'sfsync.lan']);
  for (const host of ['proxy.internal:9999', 'proxy.internal', 'sfsync.lan:80',
    `127.0.0.1:${port}`]) {
    const res = await send('GET', '/', host);
    assert.equal(res.status, 200, `${host}: ${res.text}`);
  }
  assertMisdirected(await send('GET', '/', 'other.internal'), 'other.internal');
});

test('allow-host rejects a port', async () => {
  const res = await server.w.fails(['serve', '--allow-host', 'sfsync.lan:8080']);
  assert.match(res.stderr,
    /invalid --allow-host 'sfsync\.lan:8080': give a host name such as sfsync\.example\.com, without a port/);
});

test('all-workspaces 421 names only allow-host', async () => {
  await startServer(['--all-workspaces']);
  const res = await send('GET', '/api/contacts', `evil.example:${port}`);
  assert.equal(res.status, 421, res.text);
  assert.equal(res.body.error.message,
    `the Host header 'evil.example:${port}' does not name this server: use http://127.0.0.1:${port}, or start serve with --allow-host NAME`);
});
