// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// The jsforce peer of `sfsync pull contacts`: reads every Contact with the
// SOQL sfsync sends and writes each record into a new SQLite table with a
// prepared upsert, one transaction per 2,000 records.
//
// usage: node pull.mjs --url URL --client-id ID --client-secret SECRET
//          --db FILE --count N [--mode rest|bulk]
// `rest` pages through query and nextRecordsUrl (autoFetch, pages of 2,000
// asked for with Sforce-Query-Options); `bulk` runs a Bulk API 2.0 query
// job with conn.bulk2.query. Prints {"records": N} on success.
import {
  PULL_SOQL, connect, openStore, parseOptions, recordWriter, report,
  restValue, run,
} from './lib.mjs';

const BATCH = 2000;

async function pullRest(conn, write, count) {
  let batch = [];
  let records = 0;
  await new Promise((resolve, reject) => {
    conn.query(PULL_SOQL)
      .on('record', (record) => {
        batch.push(record);
        records++;
        if (batch.length === BATCH) {
          write(batch);
          batch = [];
        }
      })
      .on('end', resolve)
      .on('error', reject)
      .run({
        autoFetch: true,
        maxFetch: count,
        headers: { 'Sforce-Query-Options': `batchSize=${BATCH}` },
      });
  });
  write(batch);
  return records;
}

async function pullBulk(conn, write) {
  // sfsync's Bulk pull sends no ORDER BY either, because the order does not
  // matter to an upsert keyed by Id.
  const soql = PULL_SOQL.replace(/ ORDER BY .*$/, '');
  conn.bulk2.pollInterval = 100;
  conn.bulk2.pollTimeout = 600000;
  const stream = await conn.bulk2.query(soql);
  let batch = [];
  let records = 0;
  await new Promise((resolve, reject) => {
    stream.on('record', (record) => {
      batch.push(record);
      records++;
      if (batch.length === BATCH) {
        write(batch);
        batch = [];
      }
    });
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  write(batch);
  return records;
}

// jsforce's streams can stall so that Node runs out of work and exits with
// status 0 before the pull resolves; make that exit a failure.
let finished = false;
process.on('exit', (code) => {
  if (code === 0 && !finished) {
    process.stderr.write('peer: exited before the pull finished\n');
    process.exitCode = 1;
  }
});

run(async () => {
  const opts = parseOptions(process.argv.slice(2),
    ['url', 'client-id', 'client-secret', 'db', 'count']);
  const mode = opts.mode || 'rest';
  if (mode !== 'rest' && mode !== 'bulk') {
    throw new Error(`invalid --mode '${mode}': use rest or bulk`);
  }
  const conn = await connect(opts.url, opts['client-id'],
    opts['client-secret']);
  const db = openStore(opts.db);
  const write = recordWriter(db, mode === 'rest'
    ? restValue : (record, field) => record[field]);
  const records = mode === 'rest'
    ? await pullRest(conn, write, Number(opts.count))
    : await pullBulk(conn, write);
  db.close();
  finished = true;
  report({ records });
});
