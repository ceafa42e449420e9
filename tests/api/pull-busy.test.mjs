// SPDX-License-Identifier: MIT
// A pull of Leads asked for while a long pull of Contacts runs in the same
// `sfsync serve` waits 30 s and gets a 409 that names the Contacts pull.
// A second try gets the same 409 while the first request's thread still
// waits for the workspace. The finished pull's progress outlives a restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertError, setFaults, startStack, waitFor } from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({
    simArgs: ['--generate', 'contacts=2000,leads=10'],
    config: {
      enabled: 'true', direction: 'from-salesforce',
      objects: 'contacts,leads', bulk_threshold: 'off',
      poll_interval: 86400,
    },
  });
});

after(async () => {
  await stack.close();
});

test('busy pull names the running one', async () => {
  const { admin } = stack;
  await waitFor(async () => {
    const r = await admin.req('GET', '/api/runs?kind=sync&limit=1');
    return r.body.runs.length && r.body.runs[0].status !== 'running';
  }, 120000, 'the first round');

  // Pages of 50 records, each reply 1 s late: 40 pages, well past 30 s.
  await setFaults(stack.sim.url, { latency: 1000, 'max-page-size': 50 });
  try {
    const started = await admin.req('POST', '/api/pulls',
      { object: 'contacts' });
    assert.equal(started.status, 202, started.text);
    const contactsRun = started.body.run_id;

    const first = await admin.req('POST', '/api/pulls', { object: 'leads' });
    assertError(first, 409, 'conflict');
    assert.equal(first.body.error.message,
      `a pull of contacts is running as run ${contactsRun} `
      + `(GET /api/runs/${contactsRun}); pull leads again once it ends`);
    const again = await admin.req('POST', '/api/pulls', { object: 'leads' });
    assertError(again, 409, 'conflict');
    assert.equal(again.body.error.message, first.body.error.message);

    const running = await admin.req('GET', `/api/runs/${contactsRun}`);
    assert.equal(running.body.status, 'running', running.text);
  } finally {
    await setFaults(stack.sim.url, { latency: 0, 'max-page-size': 0 });
  }
  // The Contacts pull ends well, and no Leads pull was ever recorded.
  const { value: pull } = await waitFor(async () => {
    const r = await admin.req('GET', '/api/runs?kind=pull&limit=5');
    const done = r.body.runs.filter((run) => run.status !== 'running');
    return done.length ? done : null;
  }, 120000, 'the end of the Contacts pull');
  assert.equal(pull.length, 1, JSON.stringify(pull));
  assert.equal(pull[0].object, 'Contact');
  assert.equal(pull[0].status, 'ok', JSON.stringify(pull[0]));
  assert.equal(pull[0].progress.expected, 2000, JSON.stringify(pull[0]));

  // A restarted server still gives what the pull expected.
  const stopped = await stack.server.terminate();
  assert.equal(stopped.code, 0, stopped.stderr);
  await stack.server.start();
  admin.url = stack.server.url;
  const later = await admin.req('GET', `/api/runs/${pull[0].id}`);
  assert.equal(later.status, 200, later.text);
  assert.equal(later.body.progress.expected, 2000, later.text);
  assert.equal(later.body.progress.done, 2000, later.text);
});
