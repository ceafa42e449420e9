// SPDX-License-Identifier: MIT
// Start-up checks of the command line and the state file, and what sfsim
// logs while it runs. Invalid options stop it with a message naming the
// value, and a state file in use by another sfsim is refused. Repeated
// token rejections are logged once a second.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSim, api } from '../lib/sfsim.mjs';

const V = '/services/data/v60.0';

// Run sfsim until it exits by itself; resolves to {code, stderr}.
async function runToExit(args) {
  const proc = spawn(process.env.SFSIM, ['--listen', '127.0.0.1:0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdout.resume();
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20000);
  const [code] = await once(proc, 'exit');
  clearTimeout(timer);
  return { code, stderr };
}

async function rejected(args, message) {
  const { code, stderr } = await runToExit(args);
  assert.notEqual(code, 0, `${args.join(' ')} started`);
  assert.match(stderr, message);
  return stderr;
}

describe('command line checks', () => {
  let dir;

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfsim-startup-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  test('external id on a boolean is rejected', async () => {
    await rejected(['--custom-field', 'Contact.Flag__c:boolean:extid'],
      /Contact\.Flag__c:boolean:extid.*external id must be of type string, email, int or double, not 'boolean'/);
    await rejected(['--custom-field', 'Contact.When__c:date:extid'], /not 'date'/);
    await rejected(['--custom-field', 'Contact.Phone2__c:phone:extid'], /not 'phone'/);
    const sim = await startSim(['--custom-field', 'Contact.Num__c:double:extid',
      '--custom-field', 'Contact.Mail__c:email:extid', '--custom-field', 'Contact.N__c:int:extid']);
    await sim.stop();
  });

  test('JWT key must be a PEM key or certificate', async () => {
    await rejected(['--jwt-public-key', '/etc/passwd'], /--jwt-public-key '\/etc\/passwd': no PEM public key or certificate/);
    const empty = path.join(dir, 'empty.pem');
    fs.writeFileSync(empty, '');
    await rejected(['--jwt-public-key', empty], /no PEM public key/);
  });

  test('duplicate users are rejected', async () => {
    await rejected(['--user', 'a@example.com:b', '--user', 'A@example.com:c'],
      /duplicate --user 'A@example.com'/);
  });

  test('empty client id and secret are rejected', async () => {
    await rejected(['--client-id', ''], /--client-id must not be empty/);
    await rejected(['--client-secret', ''], /--client-secret must not be empty/);
  });

  test('fault bounds apply at start-up', async () => {
    await rejected(['--fault', 'latency=70000'], /invalid value '70000' for fault 'latency': give a whole number from 0 to 60000/);
    await rejected(['--fault', 'latency=1.5'], /'1\.5'/);
    await rejected(['--fault', 'max-page-size=99999999999'], /from 0 to 2000/);
    await rejected(['--fault', 'unavailable=nan'], /'nan'/);
  });

  test('state file in use is refused', async () => {
    const file = path.join(dir, 'shared.db');
    const first = await startSim(['--state', file]);
    try {
      await rejected(['--state', file],
        new RegExp(`state file '${file.replace(/[.]/g, '\\.')}' is in use by another sfsim \\(process ${first.proc.pid}\\)`));
    } finally {
      await first.stop();
    }
    const again = await startSim(['--state', file]);
    await again.stop();
  });

  test('permission warning only for a state file', async () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'not a database at all, but long enough to look like one'.repeat(20), { mode: 0o644 });
    fs.chmodSync(text, 0o644);
    let stderr = await rejected(['--state', text], /notes\.txt/);
    assert.doesNotMatch(stderr, /chmod/);
    stderr = await rejected(['--state', dir], /is not a regular file/);
    assert.doesNotMatch(stderr, /chmod/);
    const file = path.join(dir, 'open.db');
    const sim = await startSim(['--state', file]);
    await sim.stop();
    fs.chmodSync(file, 0o644);
    const reopened = await startSim(['--state', file]);
    await reopened.stop();
    assert.match(reopened.stderr(), /chmod 600 it/);
  });
});

describe('running', () => {
  test('repeated token rejections are logged once a second', async () => {
    const sim = await startSim();
    try {
      const calls = [];
      for (let i = 0; i < 200; i++) calls.push(api(sim.url, '', 'GET', `${V}/limits`));
      const replies = await Promise.all(calls);
      assert.ok(replies.every((r) => r.status === 401));
      const lines = () => sim.stderr().split('\n').filter((l) => l.includes('access token rejected'));
      assert.ok(lines().length <= 3, `${lines().length} lines`);
      await new Promise((resolve) => { setTimeout(resolve, 1100); });
      await api(sim.url, '', 'GET', `${V}/limits`);
      const last = lines().at(-1);
      const suppressed = lines().map((l) => Number((/suppressed=(\d+)/.exec(l) || [0, 0])[1]));
      assert.equal(lines().length + suppressed.reduce((a, b) => a + b, 0), 201);
      assert.match(last, /suppressed=\d+/);
    } finally {
      await sim.stop();
    }
  });

  test('loopback listen address logs no exposure warning', async () => {
    const sim = await startSim();
    await sim.stop();
    assert.doesNotMatch(sim.stderr(), /other hosts can reach/);
  });
});
