// SPDX-License-Identifier: MIT
// sfsync pull over many query pages: --batch-size and a server that caps
// the page size both bring every record exactly once, with the fewest
// API calls the page size allows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, clientCredentials, Workdir, connectArgs, count, setFaults,
} from './lib.mjs';

const CONTACTS = 1000;
let sim;
let token;

before(async () => {
  sim = await startSim(['--generate', `contacts=${CONTACTS},accounts=10`]);
  token = (await clientCredentials(sim.url)).access_token;
});

after(async () => { await sim.stop(); });

// Pull every Contact into a new database with pullArgs while sfsim caps
// pages at maxPage (0 for no cap); check the summary and the records.
async function pullAll(pullArgs, maxPage, expectedCalls) {
  await setFaults(sim.url, { 'max-page-size': maxPage });
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    const sum = await w.json(['pull', 'contacts', '--json', ...pullArgs]);
    const expected = await count(sim.url, token, 'SELECT COUNT() FROM Contact');
    assert.equal(expected, CONTACTS);
    assert.equal(sum.total, expected);
    assert.equal(sum.created, expected);
    assert.equal(sum.errors, 0);
    assert.equal(sum.api_calls, expectedCalls, 'API calls of the pull');
    const local = await w.contacts();
    assert.equal(local.length, expected);
    const ids = local.map((c) => c.salesforce_id);
    assert.equal(new Set(ids).size, ids.length, 'a record was stored twice');
    for (const id of ids) assert.match(id, /^003[0-9A-Za-z]{15}$/);
  } finally {
    w.remove();
  }
}

test('batch size 200 pages', async () => {
  await pullAll(['--batch-size', '200'], 0, Math.ceil(CONTACTS / 200));
});

test('server page cap 250', async () => {
  await pullAll([], 250, Math.ceil(CONTACTS / 250));
});

test('server cap below batch size', async () => {
  await pullAll(['--batch-size', '500'], 300, Math.ceil(CONTACTS / 300));
});

test('default batch one page', async () => {
  await pullAll([], 0, 1);
});

test('batch size out of range rejected', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    for (const bad of ['199', '2001', '0', 'ten', '200x']) {
      const res = await w.fails(['pull', 'contacts', '--batch-size', bad]);
      assert.match(res.stderr, new RegExp(`invalid --batch-size '${bad}': give 200 to 2000`));
    }
  } finally {
    w.remove();
  }
});

test('token expiry between pages renews', async () => {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    const before = (await w.json(['status', '--json', '--offline'])).connection;
    // Each access token serves two API calls, so five pages need renewals.
    await setFaults(sim.url, { 'expire-after': 2 });
    let sum;
    try {
      sum = await w.json(['pull', 'contacts', '--json', '--batch-size', '200']);
    } finally {
      await setFaults(sim.url, { 'expire-after': 0 });
    }
    assert.equal(sum.created, CONTACTS);
    assert.equal(sum.errors, 0);
    const local = await w.contacts();
    assert.equal(new Set(local.map((c) => c.salesforce_id)).size, CONTACTS);
    const after = (await w.json(['status', '--json', '--offline'])).connection;
    assert.equal(after.needs_reconnect, false);
    assert.ok(after.last_refreshed_at > before.last_refreshed_at,
      'the renewed token was not stored');
    // The stored token is the renewed one, which still works.
    const again = await w.json(['pull', 'contacts', '--json']);
    assert.equal(again.unchanged, CONTACTS);
  } finally {
    w.remove();
  }
});
