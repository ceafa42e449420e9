// SPDX-License-Identifier: MIT
// Linking a local contact to a matching Salesforce record during a sync:
// a do-not-call or email opt-out flag set locally survives, and the push
// sends it to Salesforce.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startSim, clientCredentials, Workdir, connectArgs, api, passwordGrantFor, V,
  CLIENT_SECRET,
} from './lib.mjs';

test('match link keeps local opt-outs', async () => {
  const sim = await startSim(['--generate', 'contacts=5,accounts=1',
    '--user', 'rep@example.com:rep-pass']);
  const w = new Workdir();
  try {
    await w.ok(['init']);
    await w.ok(connectArgs(w, sim.url));
    await w.ok(['sync', '--json']);
    const local = await w.json(['contacts', 'add', '--json', '--last-name', 'Twin',
      '--phone', '+1 206 555 0950', '--do-not-call', 'true', '--email-opt-out', 'true']);
    const rep = await passwordGrantFor(sim.url, 'rep@example.com', 'rep-pass', CLIENT_SECRET);
    const made = await api(sim.url, rep.access_token, 'POST', `${V}/sobjects/Contact`,
      { LastName: 'Twin', Phone: '(206) 555-0950' });
    assert.equal(made.status, 201);

    // Only the rep's record is new on the Salesforce side, so the local
    // contact is matched to it by phone rather than created as a Lead.
    await w.ok(['config', 'set', 'new_contacts_as', 'contact']);
    await w.ok(['sync', '--json']);
    const after = await w.json(['contacts', 'show', String(local.id), '--json']);
    assert.equal(after.salesforce_id, made.body.id);
    assert.equal(after.do_not_call, true);
    assert.equal(after.email_opt_out, true);

    const { access_token: token } = await clientCredentials(sim.url);
    const rec = await api(sim.url, token, 'GET',
      `${V}/sobjects/Contact/${made.body.id}?fields=DoNotCall,HasOptedOutOfEmail`);
    assert.equal(rec.body.DoNotCall, true, 'the push sent the local flag');
    assert.equal(rec.body.HasOptedOutOfEmail, true);
  } finally {
    w.remove();
    await sim.stop();
  }
});
