// SPDX-License-Identifier: MIT
// sfsync on a PostgreSQL store given by URI: a password in the URI never
// reaches the output or the logs, and an unreachable server is a clear
// error. Runs only with SFSYNC_TEST_PG set (scripts/test.sh sets it).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, Workdir, connectArgs, pgCreateDatabase, pgDropDatabase, TEST_PG,
} from './lib.mjs';

const skip = TEST_PG ? false : 'SFSYNC_TEST_PG is not set';
const PASSWORD = 'hunter2-in-the-uri';

function withPassword(uri) {
  const url = new URL(uri);
  url.password = PASSWORD;
  return url.toString();
}

test('password in the URI is never printed', { skip }, async () => {
  const sim = await startSim(['--generate', 'contacts=5,leads=2,accounts=1']);
  const w = new Workdir('sfsync-pg-store-');
  const db = pgCreateDatabase();
  // The test server trusts local connections, so it ignores the password.
  const global = ['--db', withPassword(db.uri), '--log-level', 'debug'];
  try {
    const runs = [
      await w.ok(['init'], { global }),
      await w.ok(connectArgs(w, sim.url), { global }),
      await w.ok(['sync'], { global }),
      await w.ok(['status'], { global }),
      await w.ok(['contacts', 'list'], { global }),
      await w.fails(['--workspace', 'other', 'status'], { global }),
    ];
    for (const res of runs) {
      assert.ok(!res.stdout.includes(PASSWORD), `stdout of ${res.args.join(' ')}`);
      assert.ok(!res.stderr.includes(PASSWORD), `stderr of ${res.args.join(' ')}`);
    }
    assert.match(runs[0].stdout, /is ready in 127\.0\.0\.1:\d+\/t_/);
    assert.match(runs[5].stderr, /no workspace 'other' in '127\.0\.0\.1:\d+\/t_/);
    const listed = await w.json(['contacts', 'list', '--json'],
      { global: ['--db', db.uri] });
    assert.equal(listed.total, 7);
  } finally {
    w.remove();
    pgDropDatabase(db.name);
    await sim.stop();
  }
});

test('unreachable server is a clear error', async () => {
  const w = new Workdir('sfsync-pg-store-', { sqlite: true });
  try {
    const res = await w.fails(['status'],
      { global: ['--db', `postgresql://sfsync:${PASSWORD}@127.0.0.1:1/crm`] });
    assert.match(res.stderr,
      /^sfsync: cannot connect to PostgreSQL server '127\.0\.0\.1:1\/crm': /);
    assert.ok(!res.stderr.includes(PASSWORD), res.stderr);
  } finally {
    w.remove();
  }
});
