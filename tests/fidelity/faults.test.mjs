// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// jsforce 3.10.16 against sfsim's failure modes: the daily API limit, 503
// SERVER_UNAVAILABLE and dropped connections (jsforce retries GETs but never
// POSTs), and UNABLE_TO_LOCK_ROW on writes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  clientCredentials, connectIntegration, onWire, recordWire, rejectsWithCode,
  startSim, stopSim,
} from './helpers.mjs';

describe('API limit of five calls', () => {
  let sim;

  before(async () => {
    sim = await startSim(['--api-limit', '5']);
  });
  after(async () => {
    await stopSim(sim);
  });

  test('sixth call gives REQUEST_LIMIT_EXCEEDED', async () => {
    const conn = await connectIntegration(sim);
    let succeeded = 0;
    let error = null;

    while (!error && succeeded < 10) {
      try {
        await conn.query('SELECT Id FROM Contact');
        succeeded += 1;
      } catch (e) {
        error = e;
      }
    }

    assert.equal(succeeded, 5);
    assert.ok(error, 'no call was rejected');
    assert.equal(error.errorCode, 'REQUEST_LIMIT_EXCEEDED', error.message);
    assert.equal(error.name, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal(conn.limitInfo.apiUsage.limit, 5);
    assert.equal(conn.limitInfo.apiUsage.used, 5);
  });

  test('limit error is not retried', async () => {
    const conn = await connectIntegration(sim);
    const { wire } = await onWire(() => rejectsWithCode(
      conn.limits(), 'REQUEST_LIMIT_EXCEEDED'));

    assert.deepEqual(wire.exchanges.map((e) => e.status), [403]);
    await rejectsWithCode(conn.sobject('Contact').create({ LastName: 'Over' }),
      'REQUEST_LIMIT_EXCEEDED');
  });

  test('token endpoint is not counted', async () => {
    const token = await clientCredentials(sim.url);

    assert.match(token.access_token, /^00D/);
  });
});

describe('unavailable for three calls in ten', () => {
  let sim;
  let conn;

  before(async () => {
    sim = await startSim(['--fault', 'unavailable=0.3', '--seed', '7']);
    conn = await connectIntegration(sim);
  });
  after(async () => {
    await stopSim(sim);
  });

  test('GET is retried until it succeeds', async () => {
    const wire = recordWire();
    const saw503 = () => wire.exchanges.some((e) => e.status === 503);
    try {
      // At a rate of 0.3, twenty calls all pass on the first try with a
      // chance of 0.7^20, under 0.1%.
      for (let i = 0; i < 20 && !saw503(); i++) {
        const result = await conn.query('SELECT Id FROM Contact');
        assert.deepEqual(result.records, []);
      }
    } finally {
      wire.stop();
    }

    assert.ok(saw503(), 'no 503 in 20 calls');
    // Every 503 is followed by a resend of the same request.
    wire.exchanges.forEach((e, i) => {
      if (e.status === 503) {
        assert.equal(wire.exchanges[i + 1]?.path, e.path);
      }
    });
    assert.equal(wire.exchanges.at(-1).status, 200);
  });

  test('POST is not retried', async () => {
    const contacts = conn.sobject('Contact');
    let created = 0;
    let error = null;
    const { wire } = await onWire(async () => {
      for (let i = 0; i < 30 && !error; i++) {
        try {
          await contacts.create({ LastName: 'Unavailable-Create' });
          created += 1;
        } catch (e) {
          error = e;
        }
      }
    });

    assert.ok(error, 'no create failed in 30 calls');
    assert.equal(error.errorCode, 'SERVER_UNAVAILABLE', error.message);
    assert.equal(wire.exchanges.length, created + 1);
    assert.equal(wire.exchanges.at(-1).status, 503);
    assert.equal(await contacts.count({ LastName: 'Unavailable-Create' }),
      created);
  });
});

describe('connections dropped for three calls in ten', () => {
  let sim;

  before(async () => {
    sim = await startSim(['--fault', 'drop=0.3', '--seed', '11']);
  });
  after(async () => {
    await stopSim(sim);
  });

  test('GET is retried after a dropped connection', async () => {
    const conn = await connectIntegration(sim);
    const wire = recordWire();
    const sawDrop = () => wire.exchanges.some((e) => e.status === null);
    try {
      for (let i = 0; i < 20 && !sawDrop(); i++) {
        const result = await conn.query('SELECT Id FROM Contact');
        assert.deepEqual(result.records, []);
      }
    } finally {
      wire.stop();
    }

    // A dropped exchange never gets a status.
    assert.ok(sawDrop(), 'no connection dropped in 20 calls');
    assert.equal(wire.exchanges.at(-1).status, 200);
  });
});

describe('every record write locked', () => {
  let sim;

  before(async () => {
    sim = await startSim(['--fault', 'lock=1']);
  });
  after(async () => {
    await stopSim(sim);
  });

  test('create gives UNABLE_TO_LOCK_ROW', async () => {
    const conn = await connectIntegration(sim);
    const contacts = conn.sobject('Contact');

    await rejectsWithCode(contacts.create({ LastName: 'Locked' }),
      'UNABLE_TO_LOCK_ROW');
    const results = await contacts.create(
      [{ LastName: 'Locked-1' }, { LastName: 'Locked-2' }]);
    assert.equal(results.length, 2);
    for (const item of results) {
      assert.equal(item.success, false);
      assert.equal(item.errors[0].statusCode, 'UNABLE_TO_LOCK_ROW');
    }
    assert.equal(await contacts.count(), 0);
  });
});
