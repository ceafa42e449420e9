// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// Shared parts of the jsforce peer: the command-line options, the jsforce
// connection (client credentials, as `sfsync connect` uses), the SQLite
// table the peer keeps its Contacts in, and the SOQL sfsync's pull sends.
import Database from 'better-sqlite3';
import jsforce from 'jsforce';

// The API version that sfsync picks against sfsim (`api_version=auto`
// takes the newest one that /services/data lists).
export const API_VERSION = '62.0';

// The fields of sfsync's Contact pull, in its order: the mapped fields of
// src/model/mapping.c, then the two stamps src/sync/pull.c adds.
export const CONTACT_FIELDS = [
  'Id', 'FirstName', 'LastName', 'Title', 'Email', 'Phone', 'MobilePhone',
  'MailingStreet', 'MailingCity', 'MailingState', 'MailingPostalCode',
  'MailingCountry', 'LeadSource', 'DoNotCall', 'HasOptedOutOfEmail',
  'OwnerId', 'Account.Name', 'SystemModstamp', 'LastModifiedDate',
];

export const PULL_SOQL = `SELECT ${CONTACT_FIELDS.join(', ')} FROM Contact`
  + ' ORDER BY SystemModstamp, Id';

// Columns of the peer's table, one per field of CONTACT_FIELDS.
const COLUMNS = [
  'sf_id', 'first_name', 'last_name', 'title', 'email', 'phone',
  'mobile_phone', 'street', 'city', 'state', 'postal_code', 'country',
  'lead_source', 'do_not_call', 'email_opt_out', 'owner_id', 'company',
  'system_modstamp', 'last_modified',
];

// Parse `--name value` pairs into an object; every option takes a value.
export function parseOptions(argv, required) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    if (!name.startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`invalid argument '${name}': use --NAME VALUE pairs`);
    }
    options[name.slice(2)] = argv[i + 1];
  }
  for (const name of required) {
    if (options[name] === undefined) {
      throw new Error(`missing option --${name}`);
    }
  }
  return options;
}

// Log in with the client credentials grant and return the connection.
export async function connect(url, clientId, clientSecret) {
  const conn = new jsforce.Connection({
    oauth2: { loginUrl: url, clientId, clientSecret },
    version: API_VERSION,
  });
  await conn.authorize({ grant_type: 'client_credentials' });
  return conn;
}

// Open (creating when needed) the peer's SQLite store, in WAL mode with
// synchronous=FULL as sfsync's store runs.
export function openStore(path) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS contacts (
    ${COLUMNS[0]} TEXT PRIMARY KEY,
    ${COLUMNS.slice(1).join(' TEXT,\n    ')} TEXT)`);
  return db;
}

// Return a function that writes an array of records in one transaction,
// inserting new Ids and updating known ones. `valueOf(record, field)`
// reads a field, because REST records nest Account.Name and Bulk CSV rows
// do not.
export function recordWriter(db, valueOf) {
  const updates = COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`);
  const insert = db.prepare(`INSERT INTO contacts (${COLUMNS.join(', ')})
    VALUES (${COLUMNS.map(() => '?').join(', ')})
    ON CONFLICT (sf_id) DO UPDATE SET ${updates.join(', ')}`);
  return db.transaction((records) => {
    for (const record of records) {
      insert.run(CONTACT_FIELDS.map((field) => {
        const value = valueOf(record, field);
        if (value === null || value === undefined || value === '') return null;
        return typeof value === 'boolean' ? String(value) : value;
      }));
    }
  });
}

// Read a field of a REST query record, following Account.Name.
export function restValue(record, field) {
  const dot = field.indexOf('.');
  if (dot < 0) return record[field];
  const parent = record[field.slice(0, dot)];
  return parent ? parent[field.slice(dot + 1)] : null;
}

// Print the result of a peer run as one JSON line on stdout.
export function report(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// Run main() and exit 1 with the error on stderr when it fails.
export function run(main) {
  main().catch((e) => {
    process.stderr.write(`peer: ${e.stack || e.message}\n`);
    process.exit(1);
  });
}
