// SPDX-License-Identifier: MIT
// sfsync config: defaults before and after connect, validation of every
// setting, and pulls that the settings do not allow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, clientCredentials, Workdir, connectArgs, queryAll, patchRecord,
} from './lib.mjs';

const DEFAULTS = {
  enabled: 'false',
  objects: 'contacts,leads',
  direction: 'both',
  default_region: 'US',
  api_version: 'auto',
  new_contacts_as: 'lead',
  default_company: '[not provided]',
  conflict_policy: 'newest',
  external_id_field: '',
  api_budget_percent: '50',
  on_salesforce_delete: 'archive',
  on_local_delete: 'keep',
  pull_overlap_seconds: '300',
  poll_interval: '30',
  verify_interval: '300',
  public_url: '',
  backlink_field: '',
  bulk_threshold: '10000',
  runs_keep_days: '30',
};
let sim;

before(async () => {
  sim = await startSim(['--generate', 'contacts=20,leads=10,accounts=3']);
});

after(async () => { await sim.stop(); });

// Run fn(w) on a fresh database with one initialised workspace.
async function withWorkdir(fn) {
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await fn(w);
  } finally {
    w.remove();
  }
}

test('defaults before connect', async () => {
  await withWorkdir(async (w) => {
    assert.deepEqual(await w.json(['config', 'list', '--json']), DEFAULTS);
    const text = await w.ok(['config', 'list']);
    assert.equal(text.stdout, 'enabled=false\nobjects=contacts,leads\n'
      + 'direction=both\ndefault_region=US\napi_version=auto\n'
      + 'new_contacts_as=lead\ndefault_company=[not provided]\n'
      + 'conflict_policy=newest\nexternal_id_field=\napi_budget_percent=50\n'
      + 'on_salesforce_delete=archive\non_local_delete=keep\n'
      + 'pull_overlap_seconds=300\npoll_interval=30\nverify_interval=300\n'
      + 'public_url=\nbacklink_field=\nbulk_threshold=10000\n'
      + 'runs_keep_days=30\n');
    for (const [key, value] of Object.entries(DEFAULTS)) {
      const res = await w.ok(['config', 'get', key]);
      assert.equal(res.stdout, `${value}\n`);
    }
  });
});

test('connect enables the integration', async () => {
  await withWorkdir(async (w) => {
    await w.ok(connectArgs(w, sim.url));
    assert.deepEqual(await w.json(['config', 'list', '--json']),
      { ...DEFAULTS, enabled: 'true' });
  });
});

test('connect keeps settings made before', async () => {
  await withWorkdir(async (w) => {
    await w.ok(['config', 'set', 'enabled', 'false']);
    await w.ok(['config', 'set', 'objects', 'leads']);
    await w.ok(['config', 'set', 'direction', 'from-salesforce']);
    await w.ok(['config', 'set', 'default_region', 'gb']);
    await w.ok(connectArgs(w, sim.url));
    assert.deepEqual(await w.json(['config', 'list', '--json']), {
      ...DEFAULTS,
      enabled: 'false',
      objects: 'leads',
      direction: 'from-salesforce',
      default_region: 'GB',
      api_version: 'auto',
    });
  });
});

test('set stores the canonical value', async () => {
  await withWorkdir(async (w) => {
    const cases = [
      ['enabled', 'yes', 'true'],
      ['enabled', 'OFF', 'false'],
      ['objects', 'leads, contacts', 'contacts,leads'],
      ['objects', 'Contacts', 'contacts'],
      ['direction', 'To-Salesforce', 'to-salesforce'],
      ['default_region', 'de', 'DE'],
      ['api_version', 'v60.0', '60.0'],
      ['api_version', '59', '59.0'],
      ['api_version', 'AUTO', 'auto'],
    ];
    for (const [key, input, stored] of cases) {
      const res = await w.ok(['config', 'set', key, input]);
      assert.equal(res.stdout, `${key}=${stored}\n`);
      assert.equal((await w.ok(['config', 'get', key])).stdout, `${stored}\n`);
    }
  });
});

test('invalid values change nothing', async () => {
  await withWorkdir(async (w) => {
    await w.ok(connectArgs(w, sim.url));
    const before = await w.json(['config', 'list', '--json']);
    const cases = [
      ['direction', 'sideways', 'both, to-salesforce, from-salesforce'],
      ['objects', 'widgets', 'contacts, leads, contacts,leads'],
      ['objects', 'contacts,widgets', 'contacts, leads, contacts,leads'],
      ['objects', '', 'contacts, leads, contacts,leads'],
      ['default_region', 'XX', 'a two-letter region code such as US, GB or DE'],
      ['default_region', 'USA', 'a two-letter region code such as US, GB or DE'],
      ['enabled', 'maybe', 'true, false'],
      ['api_version', '99.0', 'auto, or a version from 31.0 to 62.0'],
      ['api_version', '60.5', 'auto, or a version from 31.0 to 62.0'],
    ];
    for (const [key, value, valid] of cases) {
      const res = await w.fails(['config', 'set', key, value]);
      assert.equal(res.stdout, '');
      assert.equal(res.stderr,
        `sfsync: invalid value '${value}' for setting '${key}': use ${valid}\n`);
    }
    assert.deepEqual(await w.json(['config', 'list', '--json']), before);
  });
});

test('unknown setting lists the settings', async () => {
  await withWorkdir(async (w) => {
    const before = await w.json(['config', 'list', '--json']);
    for (const args of [['set', 'colour', 'blue'], ['get', 'colour']]) {
      const res = await w.fails(['config', ...args]);
      assert.equal(res.stderr,
        "sfsync: unknown setting 'colour': run 'sfsync config list' to see "
        + 'every setting\n');
    }
    assert.deepEqual(await w.json(['config', 'list', '--json']), before);
    const res = await w.fails(['config', 'frobnicate']);
    assert.match(res.stderr, /unknown config command 'frobnicate': use get, set or list/);
  });
});

test('objects setting blocks a pull', async () => {
  await withWorkdir(async (w) => {
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['config', 'set', 'objects', 'leads']);
    const res = await w.fails(['pull', 'contacts']);
    assert.match(res.stderr, /pulling contacts is disabled: the setting 'objects' is 'leads'/);
    assert.match(res.stderr, /run 'sfsync config set objects contacts,leads'/);
    const json = await w.fails(['pull', 'contacts', '--json']);
    const sum = JSON.parse(json.stdout);
    assert.match(sum.error, /the setting 'objects' is 'leads'/);
    assert.equal(sum.created, 0);
    assert.equal((await w.contacts()).length, 0);

    const leads = await w.json(['pull', 'leads', '--json']);
    assert.equal(leads.created, 10);
    await w.ok(['config', 'set', 'objects', 'contacts']);
    const blocked = await w.fails(['pull', 'leads']);
    assert.match(blocked.stderr, /pulling leads is disabled: the setting 'objects' is 'contacts'/);
    assert.equal((await w.contacts()).length, 10);
  });
});

test('disabled integration blocks pulls', async () => {
  await withWorkdir(async (w) => {
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['config', 'set', 'enabled', 'false']);
    for (const object of ['contacts', 'leads']) {
      const res = await w.fails(['pull', object]);
      assert.match(res.stderr,
        /the integration is disabled: run 'sfsync config set enabled true'/);
    }
    assert.equal((await w.contacts()).length, 0);
    await w.ok(['config', 'set', 'enabled', 'true']);
    const sum = await w.json(['pull', 'contacts', '--json']);
    assert.equal(sum.created, 20);
  });
});

test('region setting applies to phones', async () => {
  const { access_token: token } = await clientCredentials(sim.url);
  const [first] = (await queryAll(sim.url, token,
    'SELECT Id FROM Contact ORDER BY Id LIMIT 1')).records;
  // A London number in national format, which only region GB resolves.
  await patchRecord(sim.url, first.Id, { Phone: '020 7946 0958' });
  await withWorkdir(async (w) => {
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['config', 'set', 'default_region', 'GB']);
    const sum = await w.json(['pull', 'contacts', '--json']);
    assert.equal(sum.errors, 0);
    const [c] = (await w.contacts()).filter((x) => x.salesforce_id === first.Id);
    assert.equal(c.phone, '020 7946 0958');
    assert.equal(c.phone_e164, '+442079460958');
  });
});
