// SPDX-License-Identifier: MIT
// Runs the request examples of docs/api.md in document order against a
// real `sfsync serve` and sfsim, and checks each documented status (and
// the keys of replies that are shown whole).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  Client, Server, startSim, waitFor, CLIENT_ID, CLIENT_SECRET,
} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const DOC = path.join(here, '..', '..', 'docs', 'api.md');
const ADA = { name: 'ada', password: 'correct horse battery' };

// Each indented code block with a request line and a status line:
// {method, path, headers, body, status, reply}.
export function parseExamples(text) {
  const blocks = [];
  let cur = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('    ') || (cur && line.trim() === '')) {
      if (!cur) cur = [];
      cur.push(line.startsWith('    ') ? line.slice(4) : '');
    } else if (cur) {
      blocks.push(cur);
      cur = null;
    }
  }
  if (cur) blocks.push(cur);
  const examples = [];
  for (const lines of blocks) {
    const m = /^(GET|POST|PATCH|PUT|DELETE) (\/\S*)$/.exec(lines[0]);
    if (!m) continue;
    let i = 1;
    const headers = {};
    for (; i < lines.length && /^[A-Za-z-]+: /.test(lines[i]); i++) {
      const [name, ...rest] = lines[i].split(': ');
      headers[name.toLowerCase()] = rest.join(': ');
    }
    const body = [];
    for (; i < lines.length && !/^\d{3}$/.test(lines[i]); i++) body.push(lines[i]);
    if (i === lines.length) continue;
    const status = Number(lines[i]);
    const reply = lines.slice(i + 1).filter((l) => !/^[A-Za-z-]+: /.test(l))
      .join('\n').trim();
    examples.push({
      method: m[1], path: m[2], headers, body: body.join('\n').trim(), status,
      reply,
    });
  }
  return examples;
}

let sim;
let server;
let client;
let lastRunId = null;
let lastErrorId = null;

before(async () => {
  sim = await startSim(['--generate', 'contacts=50,leads=10,accounts=5']);
  server = new Server();
  await server.init();
  await server.addUser(ADA.name, 'admin', ADA.password);
  await server.start();
  client = new Client(server.url);
});

after(async () => {
  await server.stop();
  await sim.stop();
});

// Steps that give an example the state its reply shows.
const setup = {
  // Contact 42 is "Ng" at version 3 and no other contact matches "ng".
  'GET /api/contacts?q=ng&limit=2&offset=0': async () => {
    for (let i = 1; i < 42; i++) {
      const r = await client.req('POST', '/api/contacts',
        { last_name: `Filler${i}` });
      assert.equal(r.status, 201, r.text);
    }
    const ada = await client.req('POST', '/api/contacts', {
      first_name: 'Ada', last_name: 'Ng', company: 'Acme',
      email: 'ada@example.com', phone: '+1 415 555 2671',
    });
    assert.equal(ada.body.id, 42);
    await client.req('PATCH', '/api/contacts/42', { city: 'Oakland' });
    const v3 = await client.req('PATCH', '/api/contacts/42', { city: null });
    assert.equal(v3.body.version, 3);
  },
  // The pulls need a connection again after the disconnect example.
  'POST /api/pulls': async () => {
    const r = await client.req('POST', '/api/integration/connect', {
      flow: 'client_credentials', login_url: sim.url, client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    assert.equal(r.status, 200, r.text);
  },
  // A contact whose owner is no User of sfsim fails to push for good;
  // the settings example left the direction at from-salesforce.
  'POST /api/errors/1/retry': async () => {
    const both = await client.req('PATCH', '/api/integration/settings',
      { direction: 'both' });
    assert.equal(both.status, 200, both.text);
    const created = await client.req('POST', '/api/contacts', {
      last_name: 'Stranded', email: 'stranded@example.com',
      owner: '005000000000991',
    });
    assert.equal(created.status, 201, created.text);
    const { value } = await waitFor(async () => {
      const r = await client.req('GET', '/api/errors?limit=100');
      return r.body.errors.find((e) => e.contact_id === created.body.id);
    }, 20000, 'the sync error of the example');
    lastErrorId = value.id;
  },
};

function substitute(text) {
  const port = new URL(sim.url).port;
  let out = text.replaceAll('http://127.0.0.1:PORT', `http://127.0.0.1:${port}`);
  if (lastRunId) out = out.replace('/api/runs/7', `/api/runs/${lastRunId}`);
  if (lastErrorId) {
    out = out.replace('/api/errors/1/retry', `/api/errors/${lastErrorId}/retry`);
  }
  return out;
}

test('docs/api.md examples', async () => {
  const examples = parseExamples(fs.readFileSync(DOC, 'utf8'));
  assert.ok(examples.length >= 20, `${examples.length} examples found`);
  for (const ex of examples) {
    const key = `${ex.method} ${ex.path}`;
    if (setup[key]) await setup[key]();
    if (key === 'GET /api/runs/7') {
      await waitFor(async () => {
        const r = await client.req('GET', `/api/runs/${lastRunId}`);
        return r.body.status !== 'running';
      }, 20000, 'the pull of the example');
    }
    const headers = { ...ex.headers };
    delete headers['x-csrf-token']; // the client sends the real one
    const body = ex.body ? substitute(ex.body) : undefined;
    if (body !== undefined) JSON.parse(body); // every example body is JSON
    const res = await client.req(ex.method, substitute(ex.path), body,
      { headers });
    assert.equal(res.status, ex.status, `${key}: ${res.text}`);
    if (key === 'POST /api/session') {
      client.cookie = /^(sfsync_session=[^;]+)/.exec(res.headers.get('set-cookie'))[1];
      client.csrf = res.body.csrf_token;
    }
    if (key === 'DELETE /api/session') await client.signIn(ADA);
    if (key === 'POST /api/pulls') lastRunId = res.body.run_id;
    // A reply shown whole has the same keys.
    if (ex.reply.startsWith('{') && !ex.reply.includes('...')) {
      assert.deepEqual(Object.keys(res.body).sort(),
        Object.keys(JSON.parse(ex.reply)).sort(), key);
    }
  }
});
