// SPDX-License-Identifier: MIT
// sfsync users add, list, remove and token: the users of `sfsync serve`,
// with passwords read from stdin or a file, never from an argument.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import { Workdir, assertNoSanitizerReport, describeRun } from './lib.mjs';

let w;

before(async () => {
  w = new Workdir();
  await w.ok(['init']);
});

after(() => {
  w.remove();
});

// Run sfsync with stdin text; returns {code, stdout, stderr}.
async function withStdin(args, input) {
  const proc = spawn(process.env.SFSYNC, [...w.globalArgs, ...args],
    { cwd: w.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdin.end(input);
  const [code] = await once(proc, 'close');
  const res = { code, stdout, stderr, args };
  assertNoSanitizerReport(res);
  return res;
}

test('add with a password on stdin', async () => {
  const res = await withStdin(['users', 'add', 'ada', '--role', 'admin',
    '--password-stdin'], 'first passphrase\n');
  assert.equal(res.code, 0, describeRun(res));
  assert.match(res.stdout, /added admin 'ada'/);
  const list = await w.json(['users', 'list', '--json']);
  assert.deepEqual(list.users.map((u) => [u.name, u.role]), [['ada', 'admin']]);
});

test('add with a password file', async () => {
  const file = w.file('pw', 'second passphrase\n');
  await w.ok(['users', 'add', 'bob', '--role', 'agent', '--password-file',
    file]);
  const open = w.file('pw-open', 'third passphrase\n', 0o644);
  const res = await w.ok(['users', 'add', 'cy', '--role', 'agent',
    '--password-file', open]);
  assert.match(res.stderr, /readable by other users/);
  const text = await w.ok(['users', 'list']);
  assert.match(text.stdout, /^admin  ada$/m);
  assert.match(text.stdout, /^agent  bob$/m);
});

test('the password is stored hashed', async () => {
  const db = fs.readFileSync(w.db);
  assert.equal(db.includes('first passphrase'), false);
  const wal = `${w.db}-wal`;
  if (fs.existsSync(wal)) {
    assert.equal(fs.readFileSync(wal).includes('first passphrase'), false);
  }
});

test('add rejects bad input', async () => {
  const cases = [
    [['users', 'add', 'ada', '--role', 'admin', '--password-stdin'],
      'x passphrase\n', /exists already/],
    [['users', 'add', 'bad name', '--role', 'agent', '--password-stdin'],
      'x passphrase\n', /invalid user name 'bad name'/],
    [['users', 'add', 'dan', '--role', 'boss', '--password-stdin'],
      'x passphrase\n', /invalid --role 'boss'/],
    [['users', 'add', 'dan', '--role', 'agent', '--password-stdin'],
      'short\n', /8 to 1024 bytes/],
    [['users', 'add', 'dan', '--role', 'agent'], '',
      /not a terminal: give --password-stdin/],
  ];
  for (const [args, input, message] of cases) {
    const res = await withStdin(args, input);
    assert.equal(res.code, 1, describeRun(res));
    assert.match(res.stderr, message);
  }
  const list = await w.json(['users', 'list', '--json']);
  assert.equal(list.users.some((u) => u.name === 'dan'), false);
});

test('token is printed once and stored hashed', async () => {
  const res = await w.ok(['users', 'token', 'bob']);
  const token = res.stdout.trim();
  assert.match(token, /^sfs_[A-Za-z0-9_-]{43}$/);
  assert.match(res.stderr, /shown only now/);
  assert.equal(fs.readFileSync(w.db).includes(token), false);
  const other = (await w.ok(['users', 'token', 'bob'])).stdout.trim();
  assert.notEqual(other, token);
  const missing = await w.fails(['users', 'token', 'nobody']);
  assert.match(missing.stderr, /user 'nobody' not found/);
});

test('remove deletes the user', async () => {
  await w.ok(['users', 'remove', 'cy']);
  const res = await w.fails(['users', 'remove', 'cy']);
  assert.match(res.stderr, /user 'cy' not found/);
  const list = await w.json(['users', 'list', '--json']);
  assert.deepEqual(list.users.map((u) => u.name), ['ada', 'bob']);
});
