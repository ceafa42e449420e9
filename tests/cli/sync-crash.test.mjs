// SPDX-License-Identifier: MIT
// sfsync sync killed with SIGKILL at random moments and run again until a
// round finishes: the end state equals an uninterrupted run's, with no
// duplicate Salesforce record, no lost local change and no page applied
// twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, clientCredentials, Workdir, connectArgs, queryAll, setFaults,
  api, V, sleep,
} from './lib.mjs';

const LOCAL = 300; // local contacts to create in Salesforce
const REMOTE = 300; // Salesforce Contacts to pull

// A deterministic sequence of kill delays, so that a failure repeats.
function* delays(seed) {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    yield 20 + (x % 600);
  }
}

async function createRemote(url, token) {
  for (let done = 0; done < REMOTE; done += 200) {
    const records = [];
    for (let i = done; i < Math.min(done + 200, REMOTE); i++) {
      records.push({ attributes: { type: 'Contact' }, LastName: `Remote${i}`,
        Email: `remote${i}@example.com` });
    }
    const res = await api(url, token, 'POST', `${V}/composite/sobjects`,
      { allOrNone: true, records });
    assert.equal(res.status, 200, res.text);
  }
}

test('sync killed at random moments converges', async () => {
  const sim = await startSim();
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    const { access_token: token } = await clientCredentials(sim.url);
    await createRemote(sim.url, token);
    const rows = ['last_name,email,title'];
    for (let i = 0; i < LOCAL; i++) rows.push(`Local${i},local${i}@example.com,T${i}`);
    w.file('local.csv', `${rows.join('\n')}\n`);
    await w.ok(['contacts', 'import', 'local.csv']);
    // Slow calls widen the windows between a request and its commit.
    await setFaults(sim.url, { latency: 80 });

    // The first KILLED attempts are killed at a random moment; later ones
    // run to the end.
    const KILLED = 12;
    let kills = 0;
    let finished = false;
    const next = delays(7);
    for (let attempt = 0; attempt < KILLED + 5; attempt++) {
      if (finished && attempt >= KILLED) break;
      const run = w.spawn(['sync', '--json', '--batch-size', '200']);
      const delay = next.next().value;
      const timer = attempt < KILLED
        ? setTimeout(() => run.proc.kill('SIGKILL'), delay) : null;
      const res = await run.done;
      clearTimeout(timer);
      if (res.signal === 'SIGKILL') {
        kills++;
        continue;
      }
      assert.equal(res.code, 0, res.stderr + res.stdout);
      finished = finished || JSON.parse(res.stdout).status === 'ok';
    }
    assert.ok(finished, 'no round finished after the killed ones');
    assert.ok(kills >= 6, `only ${kills} rounds were killed`);
    await setFaults(sim.url, { latency: 0 });
    // One more round settles Salesforce's defaults; then nothing is left.
    await w.ok(['sync', '--json']);
    const last = await w.json(['sync', '--json']);
    assert.equal(last.pushed + last.created + last.errors, 0,
      JSON.stringify(last));

    const leads = await queryAll(sim.url, token,
      "SELECT Id, LastName, Title FROM Lead WHERE LastName LIKE 'Local%'");
    const names = leads.records.map((r) => r.LastName);
    assert.equal(new Set(names).size, names.length, 'a duplicate Lead');
    assert.equal(leads.totalSize, LOCAL);
    for (const r of leads.records) {
      assert.equal(r.Title, `T${r.LastName.slice(5)}`, `title of ${r.LastName}`);
    }
    const local = await w.contacts();
    assert.equal(local.length, LOCAL + REMOTE);
    const linked = local.filter((c) => c.salesforce_id);
    assert.equal(linked.length, LOCAL + REMOTE);
    assert.equal(new Set(linked.map((c) => c.salesforce_id)).size,
      linked.length, 'a record linked twice');
    assert.equal(local.filter((c) => c.pending_changes).length, 0);
    assert.deepEqual(await w.json(['errors', '--json']), []);
    process.stderr.write(`crash test: ${kills} of ${KILLED} rounds killed\n`);
  } finally {
    w.remove();
    await sim.stop();
    await sleep(0);
  }
});
