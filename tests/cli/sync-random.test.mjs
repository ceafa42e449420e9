// SPDX-License-Identifier: MIT
// A seeded model-based random test of the two-way sync. Each round makes
// random local changes and Salesforce changes by a second user (creates,
// edits, deletes, a lead conversion, a merge), sometimes with sfsim
// faults on, then runs sfsync sync. Quiet rounds end the run. Then linked
// pairs must hold equal mapped values and no record may be created twice.
// No local change may be lost unless a recorded conflict settled it,
// do-not-call must never go back to false, and every conflict must be
// settled by the policy.
//
// SFSYNC_RANDOM_SEED replays a run, SFSYNC_RANDOM_ROUNDS sets the rounds
// (15 by default) and SFSYNC_RANDOM_POLICIES the conflict policies to run
// (comma-separated, "newest,local,salesforce" by default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import {
  startSim, clientCredentials, Workdir, connectArgs, api, queryAll,
  setFaults, passwordGrantFor, convertLead, CLIENT_SECRET, V,
} from './lib.mjs';

const SEED = Number(process.env.SFSYNC_RANDOM_SEED || (Date.now() % 1000000007));
const ROUNDS = Number(process.env.SFSYNC_RANDOM_ROUNDS || 15);
const POLICIES = (process.env.SFSYNC_RANDOM_POLICIES || 'newest,local,salesforce')
  .split(',').filter(Boolean);
const REP = 'rep@example.com';
const REP_PASSWORD = 'rep-pass';

process.stderr.write(`sync-random: seed ${SEED}, ${ROUNDS} rounds, `
  + `policies ${POLICIES.join(',')}\n`);

// Mapped fields: the local name, the command-line option and the
// Salesforce field. do_not_call is only ever set to true by this test,
// so a false after a true is always a fault.
const FIELDS = [
  ['first_name', 'first-name', 'FirstName'],
  ['last_name', 'last-name', 'LastName'],
  ['title', 'title', 'Title'],
  ['phone', 'phone', 'Phone'],
  ['email', 'email', 'Email'],
  ['do_not_call', 'do-not-call', 'DoNotCall'],
];

// A small deterministic generator (mulberry32), so that a seed replays.
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

// The comparable form of a field value: phones by their digits, emails
// without case, empty strings as null.
function norm(field, value) {
  if (field === 'do_not_call') return value === true || value === 'true';
  if (value === undefined || value === null || value === '') return null;
  if (field === 'phone') return String(value).replace(/\D/g, '');
  if (field === 'email') return String(value).toLowerCase();
  return String(value);
}

function randomValue(r, field, tag) {
  const n = r.int(100000);
  switch (field) {
    case 'first_name': return `F${n}`;
    case 'last_name': return `${tag}${n}`;
    case 'title': return `Title ${n}`;
    case 'phone': return `+1415555${String(1000 + r.int(9000))}`;
    case 'email': return `e${n}@example.com`;
    default: return 'true';
  }
}

function conflictsOf(w) {
  const out = execFileSync('sqlite3', ['-json', w.db,
    'SELECT contact_id, sf_id, field, local_value, remote_value, winner, '
    + 'policy, run_id FROM conflicts ORDER BY id'], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

async function syncRound(w, msg, { faulty }) {
  const res = await w.run(['sync', '--json']);
  assert.equal(res.signal, null, `${msg}: sync killed\n${res.stderr}`);
  if (!faulty) assert.equal(res.code, 0, `${msg}: ${res.stderr}${res.stdout}`);
  assert.ok(res.code === 0 || res.code === 1,
    `${msg}: sync exited ${res.code}: ${res.stderr}`);
  return res;
}

async function runScenario(policy) {
  const seed = (SEED + POLICIES.indexOf(policy) * 7919) >>> 0;
  const r = rng(seed);
  const ctx = `seed ${SEED} policy ${policy}`;
  const sim = await startSim(['--generate', 'contacts=8,leads=8,accounts=2',
    '--user', `${REP}:${REP_PASSWORD}`, '--seed', String(seed % 100000)]);
  const w = new Workdir('sfsync-random-');
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['config', 'set', 'conflict_policy', policy]);
    const { access_token: token } = await clientCredentials(sim.url);
    const rep = (await passwordGrantFor(sim.url, REP, REP_PASSWORD,
      CLIENT_SECRET)).access_token;
    await syncRound(w, `${ctx} first sync`, { faulty: false });

    // The model. localEdits maps contact id -> field -> {value, round,
    // sfId}, sfEdits maps Salesforce id -> field -> the last round that
    // edited it there. skipLoss lists the contacts whose link a
    // conversion, merge or delete moved.
    const localEdits = new Map();
    const sfEdits = new Map();
    const skipLoss = new Set();
    const dncTrue = new Set();
    const keptUnlinked = new Set();
    const tag = 'Rl';

    const noteSfEdit = (id, field, round) => {
      if (!sfEdits.has(id)) sfEdits.set(id, new Map());
      sfEdits.get(id).set(field, round);
    };

    for (let round = 1; round <= ROUNDS; round++) {
      const rmsg = `${ctx} round ${round}`;
      const contacts = (await w.contacts()).filter((c) => !c.archived);
      const steps = [];

      // Local adds, edits and deletes.
      const localActions = 1 + r.int(4);
      for (let i = 0; i < localActions; i++) {
        const kind = r.pick(['add', 'edit', 'edit', 'edit', 'delete']);
        if (kind === 'add' || contacts.length === 0) {
          const args = ['contacts', 'add', '--json',
            '--last-name', randomValue(r, 'last_name', tag),
            '--email', randomValue(r, 'email', tag),
            '--phone', randomValue(r, 'phone', tag)];
          const { id } = await w.json(args);
          steps.push(`local add ${id}`);
        } else if (kind === 'edit') {
          const c = r.pick(contacts);
          const [field, opt] = r.pick(FIELDS);
          const value = randomValue(r, field, tag);
          await w.ok(['contacts', 'update', String(c.id), `--${opt}`, value]);
          if (!localEdits.has(c.id)) localEdits.set(c.id, new Map());
          localEdits.get(c.id).set(field, { value, round, sfId: c.salesforce_id });
          steps.push(`local edit ${c.id} ${field}=${value}`);
        } else {
          const c = contacts.splice(r.int(contacts.length), 1)[0];
          await w.ok(['contacts', 'delete', String(c.id)]);
          skipLoss.add(c.id);
          // With on_local_delete=keep the record stays, unlinked.
          if (c.salesforce_id) keptUnlinked.add(c.salesforce_id);
          steps.push(`local delete ${c.id}`);
        }
      }

      // Salesforce creates, edits and deletes by the second user.
      const live = [
        ...(await queryAll(sim.url, token,
          'SELECT Id FROM Contact')).records.map((x) => ['Contact', x.Id]),
        ...(await queryAll(sim.url, token,
          'SELECT Id FROM Lead WHERE IsConverted = false')).records
          .map((x) => ['Lead', x.Id]),
      ];
      const sfActions = r.int(4);
      for (let i = 0; i < sfActions && live.length; i++) {
        const kind = r.pick(['create', 'edit', 'edit', 'edit', 'delete']);
        if (kind === 'create') {
          const object = r.pick(['Contact', 'Lead']);
          const body = { LastName: randomValue(r, 'last_name', 'Rs'),
            Email: randomValue(r, 'email', tag) };
          if (object === 'Lead') body.Company = 'Random Co';
          const res = await api(sim.url, rep, 'POST',
            `${V}/sobjects/${object}`, body);
          assert.equal(res.status, 201, `${rmsg}: ${res.text}`);
          steps.push(`sf create ${object} ${res.body.id}`);
        } else if (kind === 'edit') {
          const [object, id] = r.pick(live);
          const [field, , sfField] = r.pick(FIELDS);
          const value = randomValue(r, field, 'Rs');
          const res = await api(sim.url, rep, 'PATCH',
            `${V}/sobjects/${object}/${id}`,
            { [sfField]: field === 'do_not_call' ? true : value });
          assert.equal(res.status, 204, `${rmsg}: ${res.text}`);
          noteSfEdit(id, field, round);
          steps.push(`sf edit ${object} ${id} ${sfField}=${value}`);
        } else {
          const idx = r.int(live.length);
          const [object, id] = live[idx];
          live.splice(idx, 1);
          const res = await api(sim.url, rep, 'DELETE',
            `${V}/sobjects/${object}/${id}`);
          assert.equal(res.status, 204, `${rmsg}: ${res.text}`);
          for (const c of contacts) if (c.salesforce_id === id) skipLoss.add(c.id);
          steps.push(`sf delete ${object} ${id}`);
        }
      }

      // The same field changed on both sides of one linked pair: a conflict
      // for the policy to settle.
      const linked = contacts.filter((c) => c.salesforce_id
        && live.some(([, id]) => id === c.salesforce_id));
      if (linked.length && r.chance(0.6)) {
        const c = r.pick(linked);
        const [field, opt, sfField] = r.pick(FIELDS);
        const localValue = randomValue(r, field, tag);
        const sfValue = randomValue(r, field, 'Rs');
        await w.ok(['contacts', 'update', String(c.id), `--${opt}`, localValue]);
        if (!localEdits.has(c.id)) localEdits.set(c.id, new Map());
        localEdits.get(c.id).set(field,
          { value: localValue, round, sfId: c.salesforce_id });
        const res = await api(sim.url, rep, 'PATCH',
          `${V}/sobjects/${c.salesforce_object}/${c.salesforce_id}`,
          { [sfField]: field === 'do_not_call' ? true : sfValue });
        assert.equal(res.status, 204, `${rmsg}: ${res.text}`);
        noteSfEdit(c.salesforce_id, field, round);
        steps.push(`both edit ${c.id}/${c.salesforce_id} ${field}=`
          + `${localValue}|${sfValue}`);
      }

      // Now and then a lead conversion or a merge of two Contacts.
      if (r.chance(0.2)) {
        const leads = live.filter(([o]) => o === 'Lead');
        if (leads.length) {
          const [, id] = r.pick(leads);
          const res = await convertLead(sim.url, id, {});
          for (const c of contacts) if (c.salesforce_id === id) skipLoss.add(c.id);
          // The Contact of a lead whose contact was deleted locally stays
          // unlinked too.
          if (keptUnlinked.has(id)) keptUnlinked.add(res.contactId);
          steps.push(`convert ${id} -> ${res.contactId}`);
        }
      }
      if (r.chance(0.15)) {
        const cs = live.filter(([o]) => o === 'Contact');
        if (cs.length >= 2) {
          const a = r.int(cs.length);
          let b = r.int(cs.length - 1);
          if (b >= a) b++;
          const masterId = cs[a][1];
          const loserId = cs[b][1];
          const res = await fetch(`${sim.url}/sim/merge`, {
            method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ masterId, ids: [loserId] }),
          });
          assert.equal(res.status, 200, `${rmsg}: merge ${await res.text()}`);
          for (const c of contacts) {
            if (c.salesforce_id === loserId || c.salesforce_id === masterId) {
              skipLoss.add(c.id);
            }
          }
          steps.push(`merge ${loserId} into ${masterId}`);
        }
      }

      // A merge of two linked Contacts archives the loser's contact and
      // records a MERGED_INTO_LINKED_RECORD notice, which is no error, so
      // only faults may make a round exit 1.
      const faulty = r.chance(0.4);
      if (faulty) {
        await setFaults(sim.url, { unavailable: 0.1, lock: 0.1, drop: 0.05,
          'late-commit': 2, seed: (seed * 31 + round) % 2147483647 });
        steps.push('faults on');
      }
      const res = await syncRound(w, `${rmsg} (${steps.join('; ')})`, { faulty });
      if (faulty) await setFaults(sim.url, { unavailable: 0, lock: 0, drop: 0,
        'late-commit': 0 });
      process.stderr.write(`${rmsg}: ${steps.join('; ')}: exit ${res.code}\n`);

      for (const c of await w.contacts()) {
        if (c.do_not_call) dncTrue.add(c.id);
        else assert.ok(!dncTrue.has(c.id),
          `${rmsg}: contact ${c.id} do_not_call went from true to false`);
      }
    }

    // Quiet rounds: retry what faults left, then two syncs.
    await w.ok(['errors', 'retry']);
    await syncRound(w, `${ctx} quiet sync 1`, { faulty: false });
    await syncRound(w, `${ctx} quiet sync 2`, { faulty: false });
    const last = await w.json(['sync', '--json']);
    assert.equal(last.pushed + last.created + last.updated, 0,
      `${ctx}: the last quiet sync still changed things: ${JSON.stringify(last)}`);
    const left = (await w.json(['errors', '--json']))
      .filter((e) => e.code !== 'MERGED_INTO_LINKED_RECORD');
    assert.deepEqual(left, [],
      `${ctx}: sync errors left after the quiet rounds`);

    const local = await w.contacts();
    const remote = new Map();
    for (const object of ['Contact', 'Lead']) {
      const extra = object === 'Lead' ? ', IsConverted' : '';
      const q = await queryAll(sim.url, token, `SELECT Id, CreatedById, `
        + `FirstName, LastName, Title, Phone, Email, DoNotCall${extra} `
        + `FROM ${object}`);
      for (const rec of q.records) remote.set(rec.Id, { object, rec });
    }

    // Linked pairs: one to one, with equal mapped values.
    const linkedTo = new Map();
    for (const c of local) {
      if (!c.salesforce_id || c.archived) continue;
      const other = linkedTo.get(c.salesforce_id);
      assert.equal(other, undefined,
        `${ctx}: ${c.salesforce_id} linked to contacts ${other} and ${c.id}`);
      linkedTo.set(c.salesforce_id, c.id);
      const pair = remote.get(c.salesforce_id);
      assert.ok(pair, `${ctx}: contact ${c.id} linked to ${c.salesforce_id}, `
        + 'which is not a live record');
      assert.equal(pair.object, c.salesforce_object,
        `${ctx}: object of contact ${c.id}`);
      assert.ok(!pair.rec.IsConverted,
        `${ctx}: contact ${c.id} still linked to converted lead ${c.salesforce_id}`);
      for (const [field, , sfField] of FIELDS) {
        assert.equal(norm(field, c[field]), norm(field, pair.rec[sfField]),
          `${ctx}: contact ${c.id} ${field} differs from ${c.salesforce_id}.${sfField}`);
      }
    }

    // Every live record is linked, and none was created twice for one
    // contact.
    const byName = new Map();
    for (const [id, { rec }] of remote) {
      if (rec.IsConverted) continue;
      assert.ok(linkedTo.has(id) || keptUnlinked.has(id),
        `${ctx}: live record ${id} is not linked; local contacts that `
        + `name it: ${JSON.stringify(local.filter((c) => c.salesforce_id === id))}`);
      if (!String(rec.LastName).startsWith(tag)) continue;
      const key = `${rec.LastName}|${norm('email', rec.Email)}`;
      assert.equal(byName.get(key), undefined,
        `${ctx}: records ${byName.get(key)} and ${id} duplicate ${key}`);
      byName.set(key, id);
    }

    // Conflicts follow the policy, and restrictive fields end true.
    const conflicts = conflictsOf(w);
    for (const k of conflicts) {
      const m = `${ctx}: conflict ${JSON.stringify(k)}`;
      // An edit dropped by a delete is listed, won by the delete setting.
      if (k.winner === 'delete') {
        assert.ok(['on_local_delete', 'on_salesforce_delete'].includes(k.policy), m);
        continue;
      }
      if (k.policy === 'restrictive') {
        assert.ok(k.field === 'do_not_call' || k.field === 'email_opt_out', m);
        const won = k.winner === 'local' ? k.local_value : k.remote_value;
        assert.equal(won, 'true', m);
        continue;
      }
      assert.equal(k.policy, policy, m);
      if (policy === 'local') assert.equal(k.winner, 'local', m);
      if (policy === 'salesforce') assert.equal(k.winner, 'salesforce', m);
    }

    // No local change lost unless Salesforce changed the same field later
    // or a conflict settled it for Salesforce.
    const localById = new Map(local.map((c) => [c.id, c]));
    for (const [id, fields] of localEdits) {
      const c = localById.get(id);
      if (!c || c.archived || skipLoss.has(id)) continue;
      for (const [field, { value, round, sfId }] of fields) {
        if (norm(field, c[field]) === norm(field, value)) continue;
        const sfRound = sfEdits.get(sfId)?.get(field) ?? 0;
        const settled = conflicts.some((k) => k.contact_id === id
          && k.field === field && k.winner === 'salesforce');
        // With policy local a same-round Salesforce edit loses, so only a
        // later one may replace the local value.
        const replaced = policy === 'local' ? sfRound > round : sfRound >= round;
        assert.ok(replaced || (settled && policy !== 'local'),
          `${ctx}: contact ${id} lost local ${field}='${value}' of round `
          + `${round}: now '${c[field]}', no later Salesforce edit, no conflict`);
      }
    }
    for (const c of local) {
      if (dncTrue.has(c.id)) {
        assert.equal(c.do_not_call, true,
          `${ctx}: contact ${c.id} do_not_call went from true to false`);
      }
    }
    process.stderr.write(`${ctx}: ${local.length} contacts, ${linkedTo.size} `
      + `linked, ${conflicts.length} conflicts\n`);
  } finally {
    w.remove();
    await sim.stop();
  }
}

for (const policy of POLICIES) {
  test(`random rounds converge with policy ${policy}`, async () => {
    await runScenario(policy);
  });
}
