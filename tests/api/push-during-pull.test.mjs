// SPDX-License-Identifier: MIT
// `sfsync serve` sends API edits of linked contacts to Salesforce between
// the pages of a running manual pull, and creates a contact added during
// the pull only once the pull has ended, once. The first round of a big
// org pushes between the pages of its pull too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  V, api, clientCredentials, queryAll, setFaults, startStack, waitFor,
} from './lib.mjs';

const TOTAL = 3000;

let stack;
let token;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', `contacts=${TOTAL}`],
    config: {
      enabled: 'true', direction: 'both', objects: 'contacts',
      new_contacts_as: 'contact', bulk_threshold: 'off',
      // Only the first round and the wakes of local changes run rounds.
      poll_interval: 86400,
    },
  });
  ({ access_token: token } = await clientCredentials(stack.sim.url));
});

after(async () => {
  await stack.close();
});

async function sfTitle(id, sim = stack.sim, simToken = token) {
  const res = await api(sim.url, simToken, 'GET',
    `${V}/sobjects/Contact/${id}?fields=Title`);
  assert.equal(res.status, 200, res.text);
  return res.body.Title;
}

async function sfCount(lastName) {
  return (await queryAll(stack.sim.url, token,
    `SELECT Id FROM Contact WHERE LastName = '${lastName}'`)).records.length;
}

async function runsOf(kind) {
  const res = await stack.admin.req('GET', `/api/runs?kind=${kind}&limit=50`);
  assert.equal(res.status, 200, res.text);
  return res.body.runs;
}

test('edits reach Salesforce during a pull', async () => {
  const { admin } = stack;
  // The first round links every record.
  await waitFor(async () => {
    const runs = await runsOf('sync');
    return runs.length && runs[0].status !== 'running' ? runs[0] : null;
  }, 120000, 'the first round');
  const [first] = await runsOf('sync');
  assert.equal(first.status, 'ok', JSON.stringify(first));
  assert.equal(first.counts.created, TOTAL, JSON.stringify(first));
  const list = await admin.req('GET', '/api/contacts?limit=3');
  assert.equal(list.status, 200, list.text);
  const edited = list.body.contacts;
  assert.equal(edited.length, 3);
  for (const c of edited) assert.ok(c.salesforce, JSON.stringify(c));

  // Pages of 200 records, each reply delayed by 300 ms, make a pull of 15
  // pages that takes several seconds.
  await setFaults(stack.sim.url, { latency: 300, 'max-page-size': 200 });
  const started = await admin.req('POST', '/api/pulls', { object: 'contacts' });
  assert.equal(started.status, 202, started.text);
  const pullId = started.body.run_id;
  await waitFor(async () => {
    const r = await admin.req('GET', `/api/runs/${pullId}`);
    return r.body.progress && r.body.progress.done >= 200;
  }, 60000, 'the first page of the pull');

  for (const [i, c] of edited.entries()) {
    const res = await admin.req('PATCH', `/api/contacts/${c.id}`,
      { title: `Edited during pull ${i}` });
    assert.equal(res.status, 200, res.text);
  }
  const added = await admin.req('POST', '/api/contacts',
    { first_name: 'Nora', last_name: 'NewDuringPull',
      email: 'nora.new@example.com' });
  assert.equal(added.status, 201, added.text);

  // The edits are in Salesforce while the pull still runs.
  await waitFor(async () => {
    for (const [i, c] of edited.entries()) {
      if (await sfTitle(c.salesforce.id) !== `Edited during pull ${i}`) {
        return false;
      }
    }
    return true;
  }, 60000, 'the edits in sfsim');
  const during = await admin.req('GET', `/api/runs/${pullId}`);
  assert.equal(during.body.status, 'running', during.text);
  assert.equal(await sfCount('NewDuringPull'), 0,
    'a new contact is not created during the pull');

  const { value: pull } = await waitFor(async () => {
    const r = await admin.req('GET', `/api/runs/${pullId}`);
    return r.body.status !== 'running' ? r.body : null;
  }, 120000, 'the end of the pull');
  assert.equal(pull.status, 'ok', JSON.stringify(pull));
  // Every record was linked already, and the pushed ones came back equal
  // to their base, or older than the push and skipped.
  assert.equal(pull.counts.unchanged, TOTAL, JSON.stringify(pull));
  assert.equal(pull.counts.created, 0, JSON.stringify(pull));
  assert.equal(pull.counts.updated, 0, JSON.stringify(pull));
  assert.equal(pull.counts.pushed, 0, JSON.stringify(pull));
  assert.equal(pull.counts.conflicts, 0, JSON.stringify(pull));
  await setFaults(stack.sim.url, { latency: 0 });

  // The pushes are runs of their own, started after the pull.
  const pushes = (await runsOf('push')).filter((r) => r.id > pullId);
  assert.ok(pushes.length >= 1, JSON.stringify(pushes));
  let pushed = 0;
  for (const r of pushes) {
    assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.equal(r.object, null, JSON.stringify(r));
    assert.equal(r.counts.created, 0, JSON.stringify(r));
    assert.equal(r.counts.errors, 0, JSON.stringify(r));
    pushed += r.counts.pushed;
  }
  assert.equal(pushed, edited.length);

  // The round after the pull creates the new contact, once.
  const { value: round } = await waitFor(async () => {
    const runs = (await runsOf('sync')).filter((r) => r.id > pullId);
    return runs.find((r) => r.status !== 'running' && r.counts.created > 0);
  }, 60000, 'the round after the pull');
  assert.equal(round.status, 'ok', JSON.stringify(round));
  assert.equal(round.counts.created, 1, JSON.stringify(round));
  assert.equal(round.counts.pushed, 1, JSON.stringify(round));
  assert.equal(round.counts.conflicts, 0, JSON.stringify(round));
  assert.equal(await sfCount('NewDuringPull'), 1);
  const linked = await admin.req('GET', `/api/contacts/${added.body.id}`);
  assert.notEqual(linked.body.salesforce, null, linked.text);

  // Both sides keep the edits.
  for (const [i, c] of edited.entries()) {
    const local = await admin.req('GET', `/api/contacts/${c.id}`);
    assert.equal(local.body.title, `Edited during pull ${i}`, local.text);
    assert.equal(await sfTitle(c.salesforce.id), `Edited during pull ${i}`);
  }
});

test('edits reach Salesforce during a first round', async () => {
  const round = await startStack({
    simArgs: ['--generate', `contacts=${TOTAL}`],
    config: {
      enabled: 'false', direction: 'both', objects: 'contacts',
      bulk_threshold: 'off', poll_interval: 86400,
    },
  });
  try {
    const { admin } = round;
    const { access_token: roundToken } = await clientCredentials(round.sim.url);
    // The same 15 slow pages as above, read by the first round's pull.
    await setFaults(round.sim.url, { latency: 300, 'max-page-size': 200 });
    const on = await admin.req('PATCH', '/api/integration/settings',
      { enabled: 'true' });
    assert.equal(on.status, 200, on.text);
    const { value: contact } = await waitFor(async () => {
      const list = await admin.req('GET', '/api/contacts?limit=1');
      return list.body.contacts.find((c) => c.salesforce) || null;
    }, 60000, 'a contact linked by the first page');
    const [first] = (await admin.req('GET', '/api/runs?kind=sync')).body.runs;
    assert.equal(first.status, 'running', JSON.stringify(first));
    const edit = await admin.req('PATCH', `/api/contacts/${contact.id}`,
      { title: 'Edited during round' });
    assert.equal(edit.status, 200, edit.text);

    await waitFor(async () => (await sfTitle(contact.salesforce.id,
      round.sim, roundToken)) === 'Edited during round', 60000,
    'the edit in sfsim');
    const during = await admin.req('GET', `/api/runs/${first.id}`);
    assert.equal(during.body.status, 'running', during.text);

    const { value: done } = await waitFor(async () => {
      const r = await admin.req('GET', `/api/runs/${first.id}`);
      return r.body.status !== 'running' ? r.body : null;
    }, 120000, 'the end of the first round');
    assert.equal(done.status, 'ok', JSON.stringify(done));
    assert.equal(done.counts.created, TOTAL, JSON.stringify(done));
    assert.equal(done.counts.pushed, 0, JSON.stringify(done));
    assert.equal(done.counts.conflicts, 0, JSON.stringify(done));
    const pushes = (await admin.req('GET', '/api/runs?kind=push')).body.runs;
    assert.equal(pushes.length, 1, JSON.stringify(pushes));
    assert.equal(pushes[0].status, 'ok', JSON.stringify(pushes[0]));
    assert.equal(pushes[0].counts.pushed, 1, JSON.stringify(pushes[0]));
    const local = await admin.req('GET', `/api/contacts/${contact.id}`);
    assert.equal(local.body.title, 'Edited during round', local.text);
    assert.equal(await sfTitle(contact.salesforce.id, round.sim, roundToken),
      'Edited during round');
  } finally {
    await round.close();
  }
});
