// SPDX-License-Identifier: MIT
// sfsync conflicts lists the fields that changed on both sides with both
// values, the winner and the policy, against a real sfsim.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { cleanUp, connectedSim } from './lib.mjs';

const V = '/services/data/v60.0';

async function setTitle(sim, token, id, title) {
  const res = await fetch(`${sim.url}${V}/sobjects/Contact/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ Title: title }),
  });
  assert.equal(res.status, 204, await res.text());
}

test('conflicts lists both values and winner', async () => {
  const env = await connectedSim(['--generate', 'contacts=5,accounts=2']);
  const { sim, w, token } = env;
  try {
    await w.ok(['sync']);
    assert.deepEqual(await w.json(['conflicts', '--json']), []);
    assert.equal((await w.ok(['conflicts'])).stdout, 'no conflicts\n');

    const c = (await w.contacts()).find((x) => x.salesforce_object === 'Contact');
    await w.ok(['config', 'set', 'conflict_policy', 'salesforce']);
    await w.ok(['contacts', 'update', String(c.id), '--title', 'Local title']);
    await setTitle(sim, token, c.salesforce_id, 'Remote title');
    const round = await w.json(['sync', '--json']);
    assert.equal(round.conflicts, 1);

    const list = await w.json(['conflicts', '--json']);
    assert.equal(list.length, 1);
    const [k] = list;
    assert.equal(k.contact_id, c.id);
    assert.equal(k.object, 'Contact');
    assert.equal(k.salesforce_id, c.salesforce_id);
    assert.equal(k.field, 'title');
    assert.equal(k.local_value, 'Local title');
    assert.equal(k.salesforce_value, 'Remote title');
    assert.equal(k.winner, 'salesforce');
    assert.equal(k.policy, 'salesforce');
    assert.equal(k.run_id, round.run_id);

    const text = (await w.ok(['conflicts'])).stdout.split('\n');
    assert.match(text[0], new RegExp(`contact ${c.id} Contact ${c.salesforce_id} `
      + `field title: salesforce won \\(salesforce\\), run ${round.run_id}$`));
    assert.equal(text[1], "  sfsync      'Local title'");
    assert.equal(text[2], "  Salesforce  'Remote title'");

    assert.equal((await w.ok(['conflicts', '--run', String(round.run_id + 1)])).stdout,
      'no conflicts in that run\n');
    const bad = await w.exits(1, ['conflicts', '--limit', '0']);
    assert.match(bad.stderr, /invalid --limit '0': give 1 to 1000/);
  } finally {
    await cleanUp(env);
  }
});
