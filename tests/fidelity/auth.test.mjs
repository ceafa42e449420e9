// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
// jsforce 3.10.16 sessions against sfsim: connecting with an access token,
// the OAuth 2.0 grants jsforce sends itself, session refresh and retry on
// INVALID_SESSION_ID, the JWT bearer grant, and a dead refresh token that
// must end in an error.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  API_VERSION, BASE_PATH, CLIENT_ID, CLIENT_SECRET, clientCredentials,
  connectIntegration, connectWithRefresh, jsforce, onWire, passwordGrant,
  rejectsWithCode, sleep, startSim, stopSim,
} from './helpers.mjs';

const USERNAME = 'agent@sfsim.local';
const PASSWORD = 'Agent-Pass-1';
const USER_ARG = `${USERNAME}:${PASSWORD}`;
const INTEGRATION_USER = 'integration@sfsim.local';
const BAD_TOKEN = '00D000000000000AAA!not-a-live-token';

const TOKEN_PATH = /^\/services\/oauth2\/token$/;
const QUERY_PATH = new RegExp(`^${BASE_PATH}/query$`);

// Count the 'refresh' events a connection emits.
function countRefreshes(conn) {
  const counter = { count: 0, tokens: [] };
  conn.on('refresh', (accessToken) => {
    counter.count += 1;
    counter.tokens.push(accessToken);
  });
  return counter;
}

function oauth2Config(sim) {
  return {
    loginUrl: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET,
  };
}

describe('default session settings', () => {
  let sim;

  before(async () => {
    sim = await startSim(['--user', USER_ARG]);
  });
  after(async () => {
    await stopSim(sim);
  });

  test('client credentials token shape', async () => {
    const token = await clientCredentials(sim.url);

    // The sf CLI only accepts access tokens of this form.
    assert.match(token.access_token, /^00D\w{12,15}!/);
    assert.equal(token.instance_url, sim.url);
    assert.equal(token.token_type, 'Bearer');
    assert.match(token.issued_at, /^\d{13}$/);
    assert.equal(typeof token.signature, 'string');
    assert.match(token.id,
      new RegExp(`^${sim.url}/id/00D\\w{15}/005\\w{15}$`));
    assert.equal(token.refresh_token, undefined,
      'client credentials must not return a refresh token');
  });

  test('access token connection runs a query', async () => {
    const conn = await connectIntegration(sim);
    const { result, wire } = await onWire(
      () => conn.query('SELECT Id, Name FROM Account'));

    assert.deepEqual(result.records, []);
    assert.equal(result.totalSize, 0);
    assert.equal(result.done, true);
    assert.deepEqual(wire.exchanges.map((e) => e.status), [200]);
    assert.equal(wire.exchanges[0].path,
      `${BASE_PATH}/query?q=SELECT%20Id%2C%20Name%20FROM%20Account`);
  });

  test('instance URL with trailing slash', async () => {
    const token = await clientCredentials(sim.url);
    const conn = new jsforce.Connection({
      instanceUrl: `${sim.url}/`, accessToken: token.access_token,
      version: API_VERSION,
    });
    // jsforce joins the parts with '/', so the path starts with '//'.
    const { result, wire } = await onWire(
      () => conn.query('SELECT Id FROM Contact'));

    assert.deepEqual(result.records, []);
    assert.match(wire.exchanges[0].path,
      /^\/\/services\/data\/v60\.0\/query\?/);
    assert.equal(wire.exchanges[0].status, 200);
  });

  test('authorize with client credentials grant', async () => {
    const conn = new jsforce.Connection({
      oauth2: oauth2Config(sim), version: API_VERSION,
    });
    const info = await conn.authorize({ grant_type: 'client_credentials' });

    assert.match(info.id, /^005\w{15}$/);
    assert.match(info.organizationId, /^00D\w{15}$/);
    assert.equal(conn.instanceUrl, sim.url);
    assert.match(conn.accessToken, /^00D\w{12,15}!/);
    const identity = await conn.identity();
    assert.equal(identity.username, INTEGRATION_USER);
    assert.equal(identity.user_id, info.id);
  });

  test('login with password grant', async () => {
    const conn = new jsforce.Connection({
      oauth2: oauth2Config(sim), version: API_VERSION,
    });
    const { result: info, wire } = await onWire(
      () => conn.login(USERNAME, PASSWORD));

    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.path, e.status]),
      [['POST', '/services/oauth2/token', 200]]);
    assert.match(info.id, /^005\w{15}$/);
    assert.equal(conn.instanceUrl, sim.url);
    const identity = await conn.identity();
    assert.equal(identity.username, USERNAME);
    assert.equal(identity.user_id, info.id);
    assert.equal(identity.organization_id, info.organizationId);
  });

  test('wrong password is rejected', async () => {
    const conn = new jsforce.Connection({
      oauth2: oauth2Config(sim), version: API_VERSION,
    });
    await assert.rejects(conn.login(USERNAME, 'wrong-password'),
      (e) => e.name === 'invalid_grant');
  });

  test('refresh token grant through oauth2', async () => {
    const { conn, token } = await connectWithRefresh(sim, USERNAME, PASSWORD);
    const res = await conn.oauth2.refreshToken(token.refresh_token);

    assert.match(res.access_token, /^00D\w{12,15}!/);
    assert.notEqual(res.access_token, token.access_token);
    // jsforce takes the org and user ids from the last two segments of `id`.
    const [orgId, userId] = res.id.split('/').slice(-2);
    assert.match(orgId, /^00D\w{15}$/);
    assert.match(userId, /^005\w{15}$/);
    assert.equal(res.instance_url, sim.url);

    const fresh = new jsforce.Connection({
      instanceUrl: sim.url, accessToken: res.access_token,
      version: API_VERSION,
    });
    const identity = await fresh.identity();
    assert.equal(identity.user_id, userId);
    assert.equal(identity.username, USERNAME);
  });

  test('first call without access token refreshes', async () => {
    const { token } = await connectWithRefresh(sim, USERNAME, PASSWORD);
    const conn = new jsforce.Connection({
      oauth2: oauth2Config(sim),
      instanceUrl: sim.url,
      refreshToken: token.refresh_token,
      version: API_VERSION,
    });
    const refreshes = countRefreshes(conn);
    const { result, wire } = await onWire(
      () => conn.query('SELECT Id FROM Contact'));

    assert.deepEqual(result.records, []);
    assert.equal(refreshes.count, 1);
    assert.equal(conn.accessToken, refreshes.tokens[0]);
    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.status]),
      [['GET', 401], ['POST', 200], ['GET', 200]]);
    assert.match(wire.exchanges[1].path, TOKEN_PATH);
  });

  test('invalid token without refresh throws', async () => {
    const conn = new jsforce.Connection({
      instanceUrl: sim.url, accessToken: BAD_TOKEN, version: API_VERSION,
    });
    const { wire } = await onWire(() => rejectsWithCode(
      conn.query('SELECT Id FROM Contact'), 'INVALID_SESSION_ID'));

    assert.deepEqual(wire.exchanges.map((e) => e.status), [401]);
  });

  test('identity of integration user', async () => {
    const token = await clientCredentials(sim.url);
    const conn = await connectIntegration(sim);
    const { result: identity, wire } = await onWire(() => conn.identity());

    assert.equal(identity.username, INTEGRATION_USER);
    assert.match(identity.user_id, /^005\w{15}$/);
    assert.match(identity.organization_id, /^00D\w{15}$/);
    assert.equal(identity.id,
      `${sim.url}/id/${identity.organization_id}/${identity.user_id}`);
    assert.equal(identity.id, token.id);
    // jsforce reads `identity` from the version resource, then calls it with
    // the token in the query string as well as in the header.
    assert.equal(wire.exchanges.length, 2);
    assert.equal(wire.exchanges[0].path, BASE_PATH);
    assert.equal(wire.exchanges[0].status, 200);
    assert.match(wire.exchanges[1].path,
      /^\/id\/00D\w{15}\/005\w{15}\?format=json&oauth_token=/);
    assert.equal(wire.exchanges[1].status, 200);
  });

  test('logout revokes the access token', async () => {
    const conn = new jsforce.Connection({
      oauth2: oauth2Config(sim), version: API_VERSION,
    });
    await conn.login(USERNAME, PASSWORD);
    const token = conn.accessToken;

    await conn.logout();
    const stale = new jsforce.Connection({
      instanceUrl: sim.url, accessToken: token, version: API_VERSION,
    });
    await rejectsWithCode(stale.query('SELECT Id FROM Contact'),
      'INVALID_SESSION_ID');
  });

  test('revoked access token is refreshed', async () => {
    const { conn, token } = await connectWithRefresh(sim, USERNAME, PASSWORD);
    const refreshes = countRefreshes(conn);

    await conn.oauth2.revokeToken(token.access_token);
    const result = await conn.query('SELECT Id FROM Contact');

    assert.deepEqual(result.records, []);
    assert.equal(refreshes.count, 1);
    assert.notEqual(conn.accessToken, token.access_token);
  });

  test('revoked refresh token ends the session', async () => {
    const { conn, token } = await connectWithRefresh(sim, USERNAME, PASSWORD);

    await conn.oauth2.revokeToken(token.refresh_token);
    // Revoking a refresh token also revokes the access tokens it issued,
    // so the query gets a 401 and the refresh then fails.
    const { wire } = await onWire(() => assert.rejects(
      conn.query('SELECT Id FROM Contact'),
      /^Error: Unable to refresh session due to: /));

    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.status]),
      [['GET', 401], ['POST', 400]]);
  });
});

describe('JWT bearer grant', () => {
  let sim;
  let keyDir;
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });

  before(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'sfsim-fidelity-'));
    const keyFile = join(keyDir, 'public.pem');
    await writeFile(keyFile,
      signing.publicKey.export({ type: 'spki', format: 'pem' }));
    sim = await startSim(['--user', USER_ARG, '--jwt-public-key', keyFile]);
  });
  after(async () => {
    await stopSim(sim);
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  // Build an RS256 assertion as Salesforce's JWT bearer flow expects:
  // iss is the client id, sub the username, exp in epoch seconds.
  function assertion(privateKey, claims = {}) {
    const encode = (value) => Buffer.from(JSON.stringify(value))
      .toString('base64url');
    const body = `${encode({ alg: 'RS256' })}.${encode({
      iss: CLIENT_ID,
      sub: USERNAME,
      aud: 'https://login.salesforce.com',
      exp: Math.floor(Date.now() / 1000) + 180,
      ...claims,
    })}`;
    const signature = sign('sha256', Buffer.from(body), privateKey);
    return `${body}.${signature.toString('base64url')}`;
  }

  function jwtConnection() {
    // The JWT bearer grant sends no client secret.
    return new jsforce.Connection({
      oauth2: { loginUrl: sim.url, clientId: CLIENT_ID },
      version: API_VERSION,
    });
  }

  test('authorize with a signed assertion', async () => {
    const conn = jwtConnection();
    const info = await conn.authorize({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: assertion(signing.privateKey),
    });

    assert.match(info.id, /^005\w{15}$/);
    assert.equal(conn.instanceUrl, sim.url);
    assert.equal(conn.refreshToken, undefined);
    const identity = await conn.identity();
    assert.equal(identity.username, USERNAME);
  });

  test('assertion signed by another key is rejected', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

    await assert.rejects(jwtConnection().authorize({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: assertion(other.privateKey),
    }), (e) => e.name === 'invalid_grant');
  });

  test('assertion for an unknown user is rejected', async () => {
    await assert.rejects(jwtConnection().authorize({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: assertion(signing.privateKey, { sub: 'nobody@sfsim.local' }),
    }), (e) => e.name === 'invalid_grant');
  });
});

describe('one-second token lifetime', () => {
  let sim;

  before(async () => {
    sim = await startSim(['--user', USER_ARG, '--token-lifetime', '1']);
  });
  after(async () => {
    await stopSim(sim);
  });

  test('expired token is refreshed and retried', async () => {
    const { conn, token } = await connectWithRefresh(sim, USERNAME, PASSWORD);
    const refreshes = countRefreshes(conn);

    await sleep(1500);
    const { result, wire } = await onWire(
      () => conn.query('SELECT Id FROM Contact'));

    assert.deepEqual(result.records, []);
    assert.equal(refreshes.count, 1);
    assert.notEqual(conn.accessToken, token.access_token);
    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.status]),
      [['GET', 401], ['POST', 200], ['GET', 200]]);
    assert.match(wire.exchanges[0].path.split('?')[0], QUERY_PATH);
    assert.match(wire.exchanges[1].path, TOKEN_PATH);
    assert.equal(wire.exchanges[2].path, wire.exchanges[0].path);
  });

  test('create after expiry is resent once', async () => {
    const { conn } = await connectWithRefresh(sim, USERNAME, PASSWORD);
    const lastName = 'Resent-After-Refresh';

    await sleep(1500);
    const { result, wire } = await onWire(
      () => conn.sobject('Contact').create({ LastName: lastName }));

    assert.equal(result.success, true);
    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.status]),
      [['POST', 401], ['POST', 200], ['POST', 201]]);
    // The rejected POST must not have created a record.
    const count = await conn.sobject('Contact').count({ LastName: lastName });
    assert.equal(count, 1);
  });
});

describe('tokens that expire after three calls', () => {
  let sim;

  before(async () => {
    sim = await startSim(['--user', USER_ARG, '--fault', 'expire-after=3']);
  });
  after(async () => {
    await stopSim(sim);
  });

  test('every fourth call refreshes', async () => {
    const { conn } = await connectWithRefresh(sim, USERNAME, PASSWORD);
    const refreshes = countRefreshes(conn);
    const { wire } = await onWire(async () => {
      for (let i = 0; i < 10; i++) {
        const result = await conn.query('SELECT Id FROM Contact');
        assert.deepEqual(result.records, [], `query ${i + 1}`);
      }
    });

    // Token 1 serves calls 1-3, token 2 calls 4-6, token 3 calls 7-9 and
    // token 4 call 10; each switch costs one 401 and one token POST.
    assert.equal(refreshes.count, 3);
    assert.equal(wire.exchanges.filter((e) => e.status === 401).length, 3);
    assert.equal(wire.matching('POST', TOKEN_PATH).length, 3);
    assert.equal(new Set(refreshes.tokens).size, 3);
  });
});

describe('refresh tokens rejected', () => {
  let sim;

  before(async () => {
    sim = await startSim(['--user', USER_ARG, '--fault', 'refresh-revoked=1']);
  });
  after(async () => {
    await stopSim(sim);
  });

  test('dead refresh token throws once', async () => {
    const token = await passwordGrant(sim.url, USERNAME, PASSWORD);
    const conn = new jsforce.Connection({
      oauth2: oauth2Config(sim),
      instanceUrl: sim.url,
      accessToken: BAD_TOKEN,
      refreshToken: token.refresh_token,
      version: API_VERSION,
    });
    const refreshes = countRefreshes(conn);
    const { wire } = await onWire(() => assert.rejects(
      conn.query('SELECT Id FROM Contact'),
      /^Error: Unable to refresh session due to: /));

    assert.equal(refreshes.count, 0);
    assert.deepEqual(wire.exchanges.map((e) => [e.method, e.status]),
      [['GET', 401], ['POST', 400]]);
  });

  test('refresh grant returns invalid_grant', async () => {
    const { conn, token } = await connectWithRefresh(sim, USERNAME, PASSWORD);

    await assert.rejects(conn.oauth2.refreshToken(token.refresh_token),
      (e) => {
        assert.equal(e.name, 'invalid_grant');
        assert.ok(e.message.length > 0, 'error_description is empty');
        return true;
      });
  });
});
