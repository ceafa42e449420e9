// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// The jsforce peer of a push by `sfsync sync`: writes records through
// sObject Collections with allowRecursive, so jsforce sends 200 records a
// request, as sfsync does.
//
// usage: node push.mjs --url URL --client-id ID --client-secret SECRET
//          --mode update --db FILE --count K --title PREFIX
//        node push.mjs ... --mode create --csv FILE
// `update` sets Title to "PREFIX N" on the first K Contacts of the peer's
// store in pull order (SystemModstamp, Id), the Contacts sfsync's store
// numbers 1 to K. `create` creates one Contact per row of a CSV file whose
// header is first_name,last_name,title,email. Prints {"records": N}; a
// record that fails makes the run fail.
import { readFileSync } from 'node:fs';

import Database from 'better-sqlite3';

import { connect, parseOptions, report, run } from './lib.mjs';

function updates(opts) {
  const db = new Database(opts.db, { readonly: true });
  const ids = db.prepare(`SELECT sf_id FROM contacts
    ORDER BY system_modstamp, sf_id LIMIT ?`).pluck().all(Number(opts.count));
  db.close();
  return ids.map((id, i) => ({ Id: id, Title: `${opts.title} ${i + 1}` }));
}

// The bench writes the CSV itself, with no quoted cells.
function creates(opts) {
  const lines = readFileSync(opts.csv, 'utf8').split('\n').filter((l) => l);
  const header = lines.shift().split(',');
  const expected = 'first_name,last_name,title,email';
  if (header.join(',') !== expected) {
    throw new Error(`unexpected CSV header '${header.join(',')}' in`
      + ` '${opts.csv}': use ${expected}`);
  }
  return lines.map((line) => {
    const [first, last, title, email] = line.split(',');
    return { FirstName: first, LastName: last, Title: title, Email: email };
  });
}

run(async () => {
  const opts = parseOptions(process.argv.slice(2),
    ['url', 'client-id', 'client-secret', 'mode']);
  let records;
  if (opts.mode === 'update') records = updates(opts);
  else if (opts.mode === 'create') records = creates(opts);
  else throw new Error(`invalid --mode '${opts.mode}': use update or create`);
  const conn = await connect(opts.url, opts['client-id'],
    opts['client-secret']);
  const contacts = conn.sobject('Contact');
  const results = opts.mode === 'update'
    ? await contacts.update(records, { allowRecursive: true })
    : await contacts.create(records, { allowRecursive: true });
  const failed = results.filter((r) => !r.success);
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${results.length} records failed,`
      + ` the first with ${JSON.stringify(failed[0].errors)}`);
  }
  report({ records: results.length });
});
