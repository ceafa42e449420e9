// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// The jsforce peer of an idle `sfsync sync` round: queries the Contacts
// changed since the newest SystemModstamp in the peer's store and writes
// the ones it receives.
//
// usage: node idle.mjs --url URL --client-id ID --client-secret SECRET
//          --db FILE
// Prints {"records": N}, the changed records found.
import {
  CONTACT_FIELDS, connect, openStore, parseOptions, recordWriter, report,
  restValue, run,
} from './lib.mjs';

run(async () => {
  const opts = parseOptions(process.argv.slice(2),
    ['url', 'client-id', 'client-secret', 'db']);
  const db = openStore(opts.db);
  const newest = db.prepare('SELECT max(system_modstamp) FROM contacts')
    .pluck().get();
  if (!newest) throw new Error(`no contacts in '${opts.db}': pull first`);
  // Stored stamps come as 2026-11-04T20:43:06.000+0000 (REST) or with Z
  // (Bulk); SOQL takes the ISO form that Date prints.
  const since = new Date(newest.replace(/\+0000$/, 'Z')).toISOString();
  const conn = await connect(opts.url, opts['client-id'],
    opts['client-secret']);
  const result = await conn.query(`SELECT ${CONTACT_FIELDS.join(', ')}`
    + ` FROM Contact WHERE SystemModstamp > ${since}`
    + ' ORDER BY SystemModstamp, Id').run({ autoFetch: true, maxFetch: 1e9 });
  recordWriter(db, restValue)(result.records);
  db.close();
  report({ records: result.records.length });
});
