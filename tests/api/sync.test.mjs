// SPDX-License-Identifier: MIT
// `sfsync serve` against a real sfsim: connecting through the API, the
// settings, changes pushed at once, Salesforce changes pulled by the poll,
// manual pulls with their runs, verification and disconnecting.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import {
  ADMIN, AGENT, Client, Server, V, api, assertError, clientCredentials,
  queryAll, setFaults, sleep, startSim, waitFor, CLIENT_ID, CLIENT_SECRET,
} from './lib.mjs';

let sim;
let server;
let admin;
let agent;
let token;

before(async () => {
  sim = await startSim(['--generate', 'contacts=300,leads=100,accounts=20',
    '--custom-field', 'Contact.Sfsync_Url__c:url:255',
    '--custom-field', 'Lead.Sfsync_Url__c:url:255',
    '--custom-field', 'Contact.Plain__c:string:40',
    '--custom-field', 'Lead.Plain__c:string:40']);
  server = new Server();
  await server.init();
  await server.addUser(ADMIN.name, 'admin', ADMIN.password);
  await server.addUser(AGENT.name, 'agent', AGENT.password);
  await server.start();
  admin = new Client(server.url);
  await admin.signIn(ADMIN);
  agent = new Client(server.url);
  await agent.signIn(AGENT);
  ({ access_token: token } = await clientCredentials(sim.url));
});

after(async () => {
  await server.stop();
  await sim.stop();
});

async function sfQuery(soql) {
  return (await queryAll(sim.url, token, soql)).records;
}

test('integration starts disconnected', async () => {
  const res = await agent.req('GET', '/api/integration');
  assert.equal(res.status, 200);
  assert.equal(res.body.connection.connected, false);
  assert.equal(res.body.connection.healthy, false);
  assert.equal(res.body.connection.problem_at, null);
  assert.equal(res.body.enabled, false);
  assert.deepEqual(res.body.objects, ['contacts', 'leads']);
  assert.equal(res.body.settings.poll_interval, '30');
  assert.equal(res.body.settings.verify_interval, '300');
  assert.equal(typeof res.body.setting_help.poll_interval.help, 'string');
  assertError(await admin.req('POST', '/api/integration/verify'), 409,
    'not_connected');
  const pull = await agent.req('POST', '/api/pulls', { object: 'contacts' });
  assertError(pull, 409, 'not_connected');
  assert.equal(pull.body.error.message,
    'not connected to Salesforce: an admin connects on the Integration page');
});

test('connect rejects bad input', async () => {
  const cases = [
    [{ flow: 'magic' }, 'flow'],
    [{}, 'flow'],
    [{ flow: 'client_credentials', client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET }, 'login_url'],
    [{ flow: 'client_credentials', login_url: 'ftp://x', client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET }, 'login_url'],
    [{ flow: 'client_credentials', login_url: sim.url,
      client_secret: CLIENT_SECRET }, 'client_id'],
    [{ flow: 'client_credentials', login_url: sim.url, client_id: CLIENT_ID },
      'client_secret'],
  ];
  for (const [body, field] of cases) {
    assertError(await admin.req('POST', '/api/integration/connect', body), 422,
      'invalid_value', field);
  }
  const wrong = await admin.req('POST', '/api/integration/connect', {
    flow: 'client_credentials', login_url: sim.url, client_id: CLIENT_ID,
    client_secret: 'wrong-secret',
  });
  assertError(wrong, 502, 'salesforce_error');
  assert.doesNotMatch(wrong.text, /wrong-secret/);
  // One sentence with the one fix for client credentials.
  assert.match(wrong.body.error.message,
    /^Salesforce rejected the client credentials \(.*\): check the connected app's client id and client secret$/);
  assert.doesNotMatch(wrong.body.error.message,
    /log in again|sfsync connect|connecting failed/i);
  const still = await agent.req('GET', '/api/integration');
  assert.equal(still.body.connection.connected, false);
});

test('connect with client credentials', async () => {
  const res = await admin.req('POST', '/api/integration/connect', {
    flow: 'client_credentials', login_url: sim.url, client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  assert.equal(res.status, 200, res.text);
  const c = res.body.connection;
  assert.equal(c.connected, true);
  assert.equal(c.healthy, true);
  assert.equal(c.instance_url, sim.url);
  assert.equal(c.username, 'integration@sfsim.local');
  assert.match(c.org_id, /^00D/);
  assert.notEqual(c.last_verified_at, null);
  assert.equal(res.body.enabled, true, 'connect enables the integration');
  assert.doesNotMatch(res.text, new RegExp(CLIENT_SECRET));
});

test('settings are validated', async () => {
  const cases = [
    [{ direction: 'sideways' }, 'direction'],
    [{ poll_interval: 0 }, 'poll_interval'],
    [{ poll_interval: 'often' }, 'poll_interval'],
    [{ verify_interval: 5 }, 'verify_interval'],
    [{ public_url: 'ftp://example.com' }, 'public_url'],
    [{ public_url: 'http://example.com/path' }, 'public_url'],
    [{ shoe_size: 42 }, 'shoe_size'],
    [{ 'connection.login_url': 'http://x' }, 'connection.login_url'],
    [{ backlink_field: 'NoSuffix' }, 'backlink_field'],
    [{ backlink_field: 'Missing__c' }, 'backlink_field'],
    [{ backlink_field: 'Plain__c' }, 'backlink_field'],
    [{ objects: ['contacts'] }, 'objects'],
  ];
  for (const [body, field] of cases) {
    const res = await admin.req('PATCH', '/api/integration/settings', body);
    assertError(res, 422, 'invalid_value', field);
  }
  // A value of the wrong JSON type gets the setting's own message.
  for (const [body, field, valid] of [
    [{ poll_interval: 1.5 }, 'poll_interval', 'a whole number from 1 to 86400'],
    [{ poll_interval: null }, 'poll_interval', 'a whole number from 1 to 86400'],
    [{ objects: [] }, 'objects', 'contacts, leads, contacts,leads'],
    [{ enabled: 'maybe' }, 'enabled', 'true, false'],
  ]) {
    const res = await admin.req('PATCH', '/api/integration/settings', body);
    assertError(res, 422, 'invalid_value', field);
    assert.match(res.body.error.message,
      new RegExp(`^invalid value '.*' for setting '${field}': use ${valid}$`));
  }
  assert.match((await admin.req('PATCH', '/api/integration/settings',
    { poll_interval: 1.5 })).body.error.message, /'1.5'/);
  // enabled takes what `sfsync config set` takes, stored as true or false.
  const yes = await admin.req('PATCH', '/api/integration/settings',
    { enabled: 'yes' });
  assert.equal(yes.status, 200, yes.text);
  assert.equal(yes.body.settings.enabled, 'true');
  // One bad value stores none of the others.
  const mixed = await admin.req('PATCH', '/api/integration/settings',
    { conflict_policy: 'local', direction: 'sideways' });
  assertError(mixed, 422, 'invalid_value', 'direction');
  const now = await agent.req('GET', '/api/integration');
  assert.equal(now.body.settings.conflict_policy, 'newest');
  const ok = await admin.req('PATCH', '/api/integration/settings', {
    poll_interval: 1, direction: 'BOTH', public_url: 'http://sfsync.test:9/',
    backlink_field: 'Sfsync_Url__c',
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.settings.poll_interval, '1');
  assert.equal(ok.body.direction, 'both');
  assert.equal(ok.body.settings.public_url, 'http://sfsync.test:9');
  assert.equal(ok.body.settings.backlink_field, 'Sfsync_Url__c');
  const cli = await server.w.ok(['config', 'get', 'poll_interval']);
  assert.equal(cli.stdout.trim(), '1');
});

test('API change reaches Salesforce within 2 s', async () => {
  const made = await agent.req('POST', '/api/contacts',
    { first_name: 'Quick', last_name: 'Pusher', company: 'Fast Co' });
  assert.equal(made.status, 201, made.text);
  const { value: leads, elapsed } = await waitFor(async () => {
    const r = await sfQuery("SELECT Id, Company FROM Lead WHERE LastName = 'Pusher'");
    return r.length ? r : null;
  }, 2000, 'the new contact as a Lead in sfsim');
  assert.equal(leads.length, 1);
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  const id = leads[0].Id;
  const { value: linked } = await waitFor(async () => {
    const r = await agent.req('GET', `/api/contacts/${made.body.id}`);
    return r.body.salesforce ? r.body : null;
  }, 2000, 'the link of the contact');
  assert.deepEqual(linked.salesforce, {
    id, object: 'Lead', url: `${sim.url}/lightning/r/Lead/${id}/view`,
  });
  const edit = await agent.req('PATCH', `/api/contacts/${made.body.id}`,
    { title: 'Head of Speed' });
  assert.equal(edit.status, 200, edit.text);
  const { elapsed: again } = await waitFor(async () => {
    const r = await sfQuery(`SELECT Title FROM Lead WHERE Id = '${id}'`);
    return r[0].Title === 'Head of Speed';
  }, 2000, 'the edit in sfsim');
  assert.ok(again < 2000);
});

test('pushing needs a last name', async () => {
  for (const body of [{ email: 'only@example.com' }, { company: 'Only Co' }]) {
    const res = await agent.req('POST', '/api/contacts', body);
    assertError(res, 422, 'invalid_value', 'last_name');
    assert.match(res.body.error.message,
      /Salesforce needs a last name for Leads and Contacts/);
  }
  const made = await agent.req('POST', '/api/contacts',
    { last_name: 'Named', company: 'Named Co' });
  assert.equal(made.status, 201, made.text);
  assertError(await agent.req('PATCH', `/api/contacts/${made.body.id}`,
    { last_name: null }), 422, 'invalid_value', 'last_name');
  const cli = await server.w.fails(['contacts', 'add', '--company', 'Cli Co']);
  assert.match(cli.stderr, /Salesforce needs a last name/);
});

test('push writes the back link', async () => {
  const made = await agent.req('POST', '/api/contacts',
    { last_name: 'Linkback', company: 'Back Co' });
  const { value: rec } = await waitFor(async () => {
    const r = await sfQuery(
      "SELECT Id, Sfsync_Url__c FROM Lead WHERE LastName = 'Linkback'");
    return r.length && r[0].Sfsync_Url__c ? r[0] : null;
  }, 5000, 'the back link in sfsim');
  assert.equal(rec.Sfsync_Url__c, `http://sfsync.test:9/#contacts/${made.body.id}`);
});

test('Salesforce change arrives after a poll', async () => {
  const records = await sfQuery(
    'SELECT Id, LastName FROM Contact ORDER BY Id LIMIT 1');
  const sfId = records[0].Id;
  // Wait for the first rounds to have pulled the record.
  const { value: local } = await waitFor(async () => {
    const r = await agent.req('GET',
      `/api/contacts?q=${encodeURIComponent(records[0].LastName)}&limit=1000`);
    return r.body.contacts.find((c) => c.salesforce?.id === sfId);
  }, 20000, 'the pulled Contact');
  const res = await api(sim.url, token, 'PATCH', `${V}/sobjects/Contact/${sfId}`,
    { Title: 'Polled Title' });
  assert.equal(res.status, 204, res.text);
  const { elapsed } = await waitFor(async () => {
    const r = await agent.req('GET', `/api/contacts/${local.id}`);
    return r.body.title === 'Polled Title';
  }, 8000, 'the Salesforce change locally');
  assert.ok(elapsed < 8000);
});

test('manual pull runs in the background', async () => {
  assertError(await agent.req('POST', '/api/pulls', { object: 'accounts' }),
    422, 'invalid_value', 'object');
  assertError(await agent.req('POST', '/api/pulls', {}), 422,
    'invalid_value', 'object');
  await setFaults(sim.url, { latency: 400 });
  try {
    const res = await agent.req('POST', '/api/pulls', { object: 'leads' });
    assert.equal(res.status, 202, res.text);
    const runId = res.body.run_id;
    assert.ok(Number.isInteger(runId), res.text);
    assert.ok(runId > 0, res.text);
    const second = await agent.req('POST', '/api/pulls', { object: 'leads' });
    assertError(second, 409, 'conflict');
    assert.match(second.body.error.message,
      new RegExp(`already running as run ${runId}: follow it with GET /api/runs/${runId}$`));
    const running = await agent.req('GET', `/api/runs/${runId}`);
    assert.equal(running.status, 200);
    assert.equal(running.body.kind, 'pull');
    assert.equal(running.body.object, 'Lead');
    // While it runs, the counts are those the pull stored after each page.
    const { value: live } = await waitFor(async () => {
      const r = await agent.req('GET', `/api/runs/${runId}`);
      return r.body.progress.done > 0 ? r.body : null;
    }, 20000, 'the first page of the pull');
    if (live.status === 'running') {
      const c = live.counts;
      assert.ok(c.created + c.updated + c.unchanged + c.skipped + c.errors > 0,
        JSON.stringify(live));
    }
    const { value: done } = await waitFor(async () => {
      const r = await agent.req('GET', `/api/runs/${runId}`);
      return r.body.status !== 'running' ? r.body : null;
    }, 20000, 'the pull to finish');
    assert.equal(done.status, 'ok', JSON.stringify(done));
    assert.ok(done.progress.done >= 100, JSON.stringify(done));
    assert.ok(done.progress.expected >= 100, JSON.stringify(done));
    assert.notEqual(done.finished_at, null);
    const list = await agent.req('GET', '/api/runs?limit=5');
    assert.equal(list.status, 200);
    assert.ok(list.body.runs.length <= 5);
    assert.ok(list.body.runs.some((r) => r.id === runId));
    assertError(await agent.req('GET', '/api/runs?limit=0'), 422,
      'invalid_value', 'limit');
    assertError(await agent.req('GET', '/api/runs/999999'), 404, 'not_found');
  } finally {
    await setFaults(sim.url, { latency: 0 });
  }
});

test('sync errors are listed and retried', async () => {
  // A Lead whose Company Salesforce rejects: too long for the local field.
  const made = await agent.req('POST', '/api/contacts',
    { last_name: 'Erratic', email: 'erratic@example.com' });
  assert.equal(made.status, 201);
  await setFaults(sim.url, { lock: 1 });
  try {
    await agent.req('PATCH', `/api/contacts/${made.body.id}`, { title: 'Locked' });
    const { value: errors } = await waitFor(async () => {
      const r = await agent.req('GET', '/api/errors?limit=50');
      return r.body.errors.length ? r.body.errors : null;
    }, 5000, 'a sync error');
    assert.equal(typeof errors[0].code, 'string');
    assert.equal(typeof errors[0].message, 'string');
    assert.equal(typeof errors[0].retryable, 'boolean');
  } finally {
    await setFaults(sim.url, { lock: 0 });
  }
  const retry = await agent.req('POST', '/api/errors/retry');
  assert.equal(retry.status, 200);
  assert.equal(typeof retry.body.marked, 'number');
  assertError(await agent.req('GET', '/api/errors?limit=5000'), 422,
    'invalid_value', 'limit');
});

test('metrics count the sync', async () => {
  const res = await agent.req('GET', '/metrics');
  assert.match(res.text, /^sfsync_connection_healthy 1$/m);
  const pushed = Number(/^sfsync_records_pushed_total (\d+)$/m.exec(res.text)[1]);
  assert.ok(pushed >= 2, res.text);
  assert.match(res.text, /^sfsync_api_calls_remaining \d+$/m);
  assert.match(res.text, /^process_start_time_seconds \d+$/m);
  // Counters never go down, even when old runs leave the run log.
  execFileSync('sqlite3', ['-cmd', '.timeout 10000', server.w.db,
    "DELETE FROM conflicts; DELETE FROM runs WHERE status <> 'running'"]);
  const later = await agent.req('GET', '/metrics');
  const again = Number(/^sfsync_records_pushed_total (\d+)$/m.exec(later.text)[1]);
  assert.ok(again >= pushed, later.text);
});

test('failed check reaches other processes', async () => {
  // The token is used up and the token endpoint returns a maintenance
  // page: the check fails without a rejection. A round in this window
  // fails the same way and may store a later time.
  let failed;
  let stored;
  await setFaults(sim.url, { 'expire-after': 1, html: 1 });
  try {
    const v = await admin.req('POST', '/api/integration/verify');
    assert.equal(v.status, 200, v.text);
    failed = v.body.connection;
    const res = await server.w.exits(3, ['status', '--json', '--offline']);
    stored = JSON.parse(res.stdout).connection;
  } finally {
    await setFaults(sim.url, { 'expire-after': 0, html: 0 });
  }
  assert.equal(failed.healthy, false, JSON.stringify(failed));
  assert.equal(failed.needs_reconnect, false);
  assert.equal(stored.healthy, false);
  assert.ok(Date.parse(stored.problem_at) >= Date.parse(failed.problem_at),
    `${stored.problem_at} before ${failed.problem_at}`);

  const good = await admin.req('POST', '/api/integration/verify');
  assert.equal(good.body.connection.healthy, true, good.text);
  const now = (await server.w.json(['status', '--json', '--offline']))
    .connection;
  assert.equal(now.healthy, true);
  assert.equal(now.problem_at, null);
});

test('failed round shows on the connection', async () => {
  const list = await agent.req('GET', '/api/contacts?q=Pusher');
  const contact = list.body.contacts[0];
  // Data replies become a maintenance page; userinfo still works, so
  // only the round finds the problem.
  await setFaults(sim.url, { html: 1 });
  let broken;
  try {
    const edit = await agent.req('PATCH', `/api/contacts/${contact.id}`,
      { title: 'Head of Outages' });
    assert.equal(edit.status, 200, edit.text);
    ({ value: broken } = await waitFor(async () => {
      const r = await agent.req('GET', '/api/integration');
      return r.body.connection.healthy === false ? r.body.connection : null;
    }, 10000, 'the failed round on the connection'));
  } finally {
    await setFaults(sim.url, { html: 0 });
  }
  assert.equal(broken.needs_reconnect, false);
  assert.match(broken.problem, /text\/html/);
  assert.ok(broken.problem_at, JSON.stringify(broken));

  // The next round gets through and clears the problem.
  const again = await agent.req('PATCH', `/api/contacts/${contact.id}`,
    { title: 'Head of Recovery' });
  assert.equal(again.status, 200, again.text);
  const { value: healed } = await waitFor(async () => {
    const r = await agent.req('GET', '/api/integration');
    return r.body.connection.healthy ? r.body.connection : null;
  }, 10000, 'the good round on the connection');
  assert.equal(healed.problem, null);
  assert.equal(healed.problem_at, null);
});

test('verify and disconnect', async () => {
  const v = await admin.req('POST', '/api/integration/verify');
  assert.equal(v.status, 200, v.text);
  assert.equal(v.body.connection.healthy, true);
  const d = await admin.req('POST', '/api/integration/disconnect');
  assert.equal(d.status, 200, d.text);
  assert.equal(d.body.connection.connected, false);
  assertError(await admin.req('POST', '/api/integration/verify'), 409,
    'not_connected');
  // Links keep their record URLs after a disconnect.
  const list = await agent.req('GET', '/api/contacts?q=Pusher');
  assert.match(list.body.contacts[0].salesforce.url, /\/lightning\/r\/Lead\//);
  await sleep(10);
});
