// SPDX-License-Identifier: MIT
// The run history of `sfsync serve`: idle sync rounds leave one row, old
// runs are pruned after runs_keep_days, and GET /api/runs pages by kind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import { assertError, sleep, startStack, waitFor } from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({ config: { enabled: 'true', poll_interval: 1 } });
});

after(async () => {
  await stack.close();
});

function sql(query) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', stack.server.w.db,
    query], { encoding: 'utf8' }).trim();
}

test('idle rounds leave one run', async () => {
  await waitFor(async () => {
    const r = await stack.agent.req('GET', '/api/runs?kind=sync');
    return r.body.runs.length > 0;
  }, 5000, 'a first sync round');
  await sleep(3500);
  const rounds = await stack.agent.req('GET', '/api/runs?kind=sync');
  assert.equal(rounds.status, 200, rounds.text);
  // A round may be running at the moment of the request.
  const finished = rounds.body.runs.filter((r) => r.status !== 'running');
  assert.equal(finished.length, 1, rounds.text);
  assert.equal(finished[0].status, 'ok');
});

test('runs page by kind and offset', async () => {
  const made = await stack.agent.req('POST', '/api/contacts',
    { last_name: 'Historic', company: 'Rows Co' });
  assert.equal(made.status, 201, made.text);
  await waitFor(async () => {
    const r = await stack.agent.req('GET', '/api/runs?kind=sync&limit=5');
    return r.body.runs.some((run) => run.counts.pushed > 0);
  }, 5000, 'a sync round that pushed the contact');
  const pull = await stack.agent.req('POST', '/api/pulls', { object: 'leads' });
  assert.equal(pull.status, 202, pull.text);
  await waitFor(async () => {
    const r = await stack.agent.req('GET', `/api/runs/${pull.body.run_id}`);
    return r.body.status !== 'running';
  }, 5000, 'the pull to finish');
  const pulls = await stack.agent.req('GET', '/api/runs?kind=pull');
  assert.deepEqual(pulls.body.runs.map((r) => r.id), [pull.body.run_id]);
  const all = await stack.agent.req('GET', '/api/runs?limit=200');
  assert.ok(all.body.runs.length >= 2, all.text);
  const second = await stack.agent.req('GET', '/api/runs?limit=1&offset=1');
  assert.equal(second.body.offset, 1);
  assert.deepEqual(second.body.runs.map((r) => r.id), [all.body.runs[1].id]);
  const pushes = await stack.agent.req('GET', '/api/runs?kind=push');
  assert.equal(pushes.status, 200, pushes.text);
  assert.ok(pushes.body.runs.every((r) => r.kind === 'push'), pushes.text);
  assertError(await stack.agent.req('GET', '/api/runs?kind=round'), 422,
    'invalid_value', 'kind');
  assertError(await stack.agent.req('GET', '/api/runs?offset=-1'), 422,
    'invalid_value', 'offset');
});

test('runs older than runs_keep_days are pruned', async () => {
  const old = Date.now() - 3 * 86400 * 1000;
  sql(`INSERT INTO runs (workspace_id, kind, started_ms, finished_ms, status,
    created) SELECT id, 'pull', ${old}, ${old}, 'ok', 5 FROM workspaces`);
  const id = Number(sql('SELECT max(id) FROM runs'));
  await stack.server.w.ok(['config', 'set', 'runs_keep_days', '2']);
  const gone = await waitFor(async () => {
    const r = await stack.agent.req('GET', `/api/runs/${id}`);
    return r.status === 404 ? r : null;
  }, 5000, 'the old run to be pruned');
  assert.equal(gone.value.status, 404);
  assertError(gone.value, 404, 'not_found');
});
