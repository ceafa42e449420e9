// SPDX-License-Identifier: MIT
// sfsim's OAuth 2.0 and identity endpoints over HTTP: every token grant and
// its errors, refresh-token rotation, revocation, token expiry and the
// token faults, UserInfo, the identity URL, the authorize page and the JWT
// bearer grant with a key made here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  startSim, clientCredentials, passwordGrant, api, CLIENT_ID, CLIENT_SECRET,
} from '../lib/sfsim.mjs';

const TOKEN_RE = /^(00D\w{12,15})![.\w]*$/;
const JSON_TYPE = 'application/json;charset=UTF-8';
const ALICE = { username: 'alice@example.com', password: 'alice-pass' };
const BOB = { username: 'bob@example.com', password: 'bob-pass' };
const USER_ARGS = [
  '--user', `${ALICE.username}:${ALICE.password}`,
  '--user', `${BOB.username}:${BOB.password}`,
];
const REDIRECT = 'http://127.0.0.1:9/callback';

// POST form fields to the token endpoint and return {status, headers, body}.
async function token(url, fields, headers = {}) {
  const res = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: new URLSearchParams(fields),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

function passwordFields(user, extra = {}) {
  return {
    grant_type: 'password',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    username: user.username,
    password: user.password,
    ...extra,
  };
}

async function refresh(url, refreshToken, extra = {}) {
  return token(url, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: CLIENT_ID,
    ...extra,
  });
}

// A REST call, which goes through the API's bearer-token filter.
async function limits(url, accessToken) {
  return api(url, accessToken, 'GET', '/services/data/v60.0/limits');
}

async function revoke(url, tokenValue) {
  const res = await fetch(`${url}/services/oauth2/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokenValue }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

function assertOAuthError(res, error, description) {
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('content-type'), JSON_TYPE);
  assert.equal(res.body.error, error);
  if (description !== undefined) {
    assert.equal(res.body.error_description, description);
  }
}

function assertInvalidSession(res) {
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('content-type'), JSON_TYPE);
  assert.deepEqual(res.body, [
    { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
  ]);
}

function b64url(data) {
  return Buffer.from(data).toString('base64url');
}

function pkcePair() {
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = crypto.createHash('sha256').update(verifier)
    .digest('base64url');
  return { verifier, challenge };
}

function decodeEntities(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

// The hidden inputs of the authorize form, as a browser would submit them.
function hiddenFields(html) {
  const fields = {};
  const re = /<input type="hidden" name="([^"]+)" value="([^"]*)">/g;
  for (const m of html.matchAll(re)) fields[m[1]] = decodeEntities(m[2]);
  return fields;
}

function authorizeQuery(extra = {}) {
  return new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    state: 'st&ate=1',
    ...extra,
  });
}

// Drive the authorize page: GET it, submit the form, return the redirect.
async function authorize(url, query, form) {
  const page = await fetch(`${url}/services/oauth2/authorize?${query}`);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const res = await fetch(`${url}/services/oauth2/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hiddenFields(html), ...form }),
    redirect: 'manual',
  });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body, html };
}

async function authorizationCode(url, extraQuery = {}) {
  const res = await authorize(url, authorizeQuery(extraQuery), {
    username: ALICE.username, password: ALICE.password, approve: '1',
  });
  assert.equal(res.status, 302, res.body);
  const location = new URL(res.headers.get('location'));
  assert.equal(location.searchParams.get('state'), 'st&ate=1');
  return location.searchParams.get('code');
}

// Issue n client-credentials tokens and return their access tokens.
async function issueMany(url, n) {
  const tokens = [];
  for (let i = 0; i < n; i++) {
    tokens.push((await clientCredentials(url)).access_token);
  }
  return tokens;
}

function codeFields(code, extra = {}) {
  return {
    grant_type: 'authorization_code',
    code,
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    ...extra,
  };
}

// Make an RS256 JWT with node:crypto.
function makeJwt(privateKey, claims, header = { alg: 'RS256' }) {
  const input = `${b64url(JSON.stringify(header))}.`
    + b64url(JSON.stringify(claims));
  const signature = crypto.sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

function jwtClaims(extra = {}) {
  return {
    iss: CLIENT_ID,
    sub: ALICE.username,
    aud: 'https://login.salesforce.com',
    exp: Math.floor(Date.now() / 1000) + 120,
    ...extra,
  };
}

function jwtFields(assertion) {
  return {
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion,
  };
}

describe('sfsim OAuth', () => {
  let sim;
  let keyDir;
  let keys;

  before(async () => {
    keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfsim-oauth-'));
    const keyFile = path.join(keyDir, 'jwt-public.pem');
    fs.writeFileSync(keyFile,
      keys.publicKey.export({ type: 'spki', format: 'pem' }));
    sim = await startSim([...USER_ARGS, '--jwt-public-key', keyFile]);
  });

  after(async () => {
    await sim.stop();
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  describe('client credentials', () => {
    test('token has Salesforce shape', async () => {
      const res = await token(sim.url, {
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), JSON_TYPE);
      const t = res.body;
      assert.match(t.access_token, TOKEN_RE);
      assert.equal(t.instance_url, sim.url);
      assert.equal(t.token_type, 'Bearer');
      assert.equal(t.refresh_token, undefined);
      assert.equal(typeof t.scope, 'string');
      assert.ok(!t.scope.split(' ').includes('refresh_token'));

      const id = /^(.+)\/id\/(00D\w{15})\/(005\w{15})$/.exec(t.id);
      assert.ok(id, t.id);
      assert.equal(id[1], sim.url);
      assert.equal(t.access_token.slice(0, 15), id[2].slice(0, 15));

      assert.match(t.issued_at, /^\d{13}$/);
      assert.ok(Math.abs(Number(t.issued_at) - Date.now()) < 60000);
      const expected = crypto.createHmac('sha256', CLIENT_SECRET)
        .update(t.id + t.issued_at).digest('base64');
      assert.equal(t.signature, expected);
    });

    test('runs as the integration user', async () => {
      const t = await clientCredentials(sim.url);
      const res = await api(sim.url, t.access_token, 'GET',
        '/services/oauth2/userinfo');
      assert.equal(res.status, 200);
      assert.equal(res.body.preferred_username, 'integration@sfsim.local');
    });

    test('credentials in a Basic header', async () => {
      const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`)
        .toString('base64');
      const res = await token(sim.url, { grant_type: 'client_credentials' },
        { authorization: `Basic ${basic}` });
      assert.equal(res.status, 200);
      assert.match(res.body.access_token, TOKEN_RE);
    });

    test('wrong secret in a Basic header', async () => {
      const basic = Buffer.from(`${CLIENT_ID}:nope`).toString('base64');
      const res = await token(sim.url, { grant_type: 'client_credentials' },
        { authorization: `Basic ${basic}` });
      assertOAuthError(res, 'invalid_client', 'invalid client credentials');
    });

    test('chunked body without Content-Length', async () => {
      const text = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }).toString();
      const encoder = new TextEncoder();
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(encoder.encode(text.slice(0, 10)));
          controller.enqueue(encoder.encode(text.slice(10)));
          controller.close();
        },
      });
      const res = await fetch(`${sim.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        duplex: 'half',
      });
      const parsed = await res.json();
      assert.equal(res.status, 200, JSON.stringify(parsed));
      assert.match(parsed.access_token, TOKEN_RE);
    });

    test('unknown client id', async () => {
      const res = await token(sim.url, {
        grant_type: 'client_credentials',
        client_id: 'someone-else',
        client_secret: CLIENT_SECRET,
      });
      assertOAuthError(res, 'invalid_client_id', 'client identifier invalid');
    });

    test('wrong client secret', async () => {
      const res = await token(sim.url, {
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: 'wrong',
      });
      assertOAuthError(res, 'invalid_client', 'invalid client credentials');
    });

    test('missing client secret', async () => {
      const res = await token(sim.url, {
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
      });
      assertOAuthError(res, 'invalid_client', 'invalid client credentials');
    });
  });

  describe('grant type errors', () => {
    test('missing grant type', async () => {
      const res = await token(sim.url, { client_id: CLIENT_ID });
      assertOAuthError(res, 'invalid_request', 'grant type is missing');
    });

    test('unknown grant type', async () => {
      const res = await token(sim.url, {
        grant_type: 'implicit', client_id: CLIENT_ID,
      });
      assertOAuthError(res, 'unsupported_grant_type',
        'grant type not supported');
    });

    test('unknown scope', async () => {
      const res = await token(sim.url,
        passwordFields(ALICE, { scope: 'api launch_missiles' }));
      assertOAuthError(res, 'invalid_scope');
    });

    test('GET on the token endpoint is not routed', async () => {
      const res = await fetch(`${sim.url}/services/oauth2/token`);
      await res.arrayBuffer();
      assert.notEqual(res.status, 200);
    });
  });

  describe('password grant', () => {
    test('default scope gives a refresh token', async () => {
      const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
      assert.match(t.access_token, TOKEN_RE);
      assert.equal(typeof t.refresh_token, 'string');
      assert.ok(t.refresh_token.length >= 40);
      assert.ok(t.scope.split(' ').includes('refresh_token'));
      const res = await limits(sim.url, t.access_token);
      assert.equal(res.status, 200);
    });

    test('api scope gives no refresh token', async () => {
      const res = await token(sim.url, passwordFields(ALICE, { scope: 'api' }));
      assert.equal(res.status, 200);
      assert.equal(res.body.scope, 'api');
      assert.equal(res.body.refresh_token, undefined);
    });

    test('offline_access scope gives a refresh token', async () => {
      const res = await token(sim.url,
        passwordFields(ALICE, { scope: 'api offline_access' }));
      assert.equal(res.status, 200);
      assert.equal(typeof res.body.refresh_token, 'string');
    });

    test('wrong password', async () => {
      const res = await token(sim.url,
        passwordFields({ ...ALICE, password: 'guess' }));
      assertOAuthError(res, 'invalid_grant', 'authentication failure');
    });

    test('unknown username', async () => {
      const res = await token(sim.url,
        passwordFields({ username: 'nobody@example.com', password: 'x' }));
      assertOAuthError(res, 'invalid_grant', 'authentication failure');
    });

    test('integration user has no password', async () => {
      const res = await token(sim.url,
        passwordFields({ username: 'integration@sfsim.local', password: '' }));
      assertOAuthError(res, 'invalid_grant', 'authentication failure');
    });

    test('identity URL names the user', async () => {
      const a = await passwordGrant(sim.url, ALICE.username, ALICE.password);
      const b = await passwordGrant(sim.url, BOB.username, BOB.password);
      assert.notEqual(a.id, b.id);
      assert.notEqual(a.access_token, b.access_token);
    });
  });

  describe('bearer tokens on REST calls', () => {
    let t;

    before(async () => {
      t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    });

    test('Bearer header', async () => {
      assert.equal((await limits(sim.url, t.access_token)).status, 200);
    });

    test('OAuth header scheme', async () => {
      const res = await fetch(`${sim.url}/services/data/v60.0/limits`, {
        headers: { authorization: `OAuth ${t.access_token}` },
      });
      await res.arrayBuffer();
      assert.equal(res.status, 200);
    });

    test('oauth_token query argument', async () => {
      const q = new URLSearchParams({ oauth_token: t.access_token });
      const res = await fetch(`${sim.url}/services/data/v60.0/limits?${q}`);
      await res.arrayBuffer();
      assert.equal(res.status, 200);
    });

    test('unknown token', async () => {
      assertInvalidSession(await limits(sim.url, `${t.access_token}x`));
    });

    test('refresh token is not an access token', async () => {
      assertInvalidSession(await limits(sim.url, t.refresh_token));
    });

    test('missing token', async () => {
      const res = await fetch(`${sim.url}/services/data/v60.0/limits`);
      const body = await res.json();
      assert.equal(res.status, 401);
      assert.equal(body[0].errorCode, 'INVALID_SESSION_ID');
    });
  });

  describe('refresh token grant', () => {
    let t;

    before(async () => {
      t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    });

    test('issues a new access token', async () => {
      const res = await refresh(sim.url, t.refresh_token,
        { client_secret: CLIENT_SECRET });
      assert.equal(res.status, 200);
      assert.match(res.body.access_token, TOKEN_RE);
      assert.notEqual(res.body.access_token, t.access_token);
      assert.equal(res.body.id, t.id);
      assert.equal(res.body.scope, t.scope);
      assert.equal(res.body.refresh_token, undefined);
      assert.equal((await limits(sim.url, res.body.access_token)).status, 200);
      assert.equal((await limits(sim.url, t.access_token)).status, 200);
    });

    test('client secret is optional', async () => {
      const res = await refresh(sim.url, t.refresh_token);
      assert.equal(res.status, 200);
    });

    test('wrong client secret', async () => {
      const res = await refresh(sim.url, t.refresh_token,
        { client_secret: 'wrong' });
      assertOAuthError(res, 'invalid_client', 'invalid client credentials');
    });

    test('unknown client id', async () => {
      const res = await refresh(sim.url, t.refresh_token,
        { client_id: 'other' });
      assertOAuthError(res, 'invalid_client_id', 'client identifier invalid');
    });

    test('unknown refresh token', async () => {
      const res = await refresh(sim.url, 'not-a-refresh-token');
      assertOAuthError(res, 'invalid_grant', 'expired access/refresh token');
    });

    test('access token is not a refresh token', async () => {
      const res = await refresh(sim.url, t.access_token);
      assertOAuthError(res, 'invalid_grant', 'expired access/refresh token');
    });

    test('missing refresh token', async () => {
      const res = await token(sim.url,
        { grant_type: 'refresh_token', client_id: CLIENT_ID });
      assertOAuthError(res, 'invalid_request');
    });
  });

  describe('revoke', () => {
    test('access token', async () => {
      const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
      const res = await revoke(sim.url, t.access_token);
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
      assertInvalidSession(await limits(sim.url, t.access_token));
      // The refresh token survives and gives a working access token.
      const again = await refresh(sim.url, t.refresh_token);
      assert.equal(again.status, 200);
      assert.equal((await limits(sim.url, again.body.access_token)).status,
        200);
    });

    test('refresh token takes its access tokens', async () => {
      const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
      const child = (await refresh(sim.url, t.refresh_token)).body;
      assert.equal((await limits(sim.url, child.access_token)).status, 200);
      const res = await revoke(sim.url, t.refresh_token);
      assert.equal(res.status, 200);
      assertInvalidSession(await limits(sim.url, child.access_token));
      assertInvalidSession(await limits(sim.url, t.access_token));
      assertOAuthError(await refresh(sim.url, t.refresh_token),
        'invalid_grant', 'expired access/refresh token');
    });

    test('token in the query string', async () => {
      const t = await clientCredentials(sim.url);
      const q = new URLSearchParams({ token: t.access_token });
      const res = await fetch(`${sim.url}/services/oauth2/revoke?${q}`);
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      assertInvalidSession(await limits(sim.url, t.access_token));
    });

    test('unknown or revoked token', async () => {
      const t = await clientCredentials(sim.url);
      assert.equal((await revoke(sim.url, t.access_token)).status, 200);
      for (const value of [t.access_token, 'no-such-token']) {
        const res = await revoke(sim.url, value);
        assert.equal(res.status, 400);
        assert.equal(res.headers.get('content-type'), JSON_TYPE);
        assert.deepEqual(JSON.parse(res.text),
          { error: 'invalid_token', error_description: 'invalid token' });
      }
    });
  });

  describe('userinfo and identity', () => {
    let t;

    before(async () => {
      t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    });

    test('userinfo fields', async () => {
      const res = await api(sim.url, t.access_token, 'GET',
        '/services/oauth2/userinfo');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), JSON_TYPE);
      const u = res.body;
      const [, orgId, userId] = /\/id\/(\w+)\/(\w+)$/.exec(t.id);
      assert.equal(u.sub, t.id);
      assert.equal(u.user_id, userId);
      assert.equal(u.organization_id, orgId);
      assert.equal(u.user_id.length, 18);
      assert.equal(u.organization_id.length, 18);
      assert.equal(u.preferred_username, ALICE.username);
      assert.equal(u.nickname, 'alice');
      assert.equal(typeof u.name, 'string');
      assert.equal(u.email, ALICE.username);
      assert.equal(u.email_verified, true);
      assert.equal(typeof u.given_name, 'string');
      assert.equal(typeof u.family_name, 'string');
      assert.equal(typeof u.zoneinfo, 'string');
      assert.equal(u.locale, 'en_US');
      assert.equal(u.user_type, 'STANDARD');
      assert.equal(u.active, true);
      assert.equal(u.utcOffset, 0);
      assert.match(u.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      for (const key of ['enterprise', 'metadata', 'partner', 'rest',
        'sobjects', 'search', 'query', 'recent', 'profile', 'feeds',
        'groups', 'users', 'feed_items', 'feed_elements', 'custom_domain']) {
        assert.equal(typeof u.urls[key], 'string', key);
        assert.ok(u.urls[key].startsWith(sim.url), key);
      }
      assert.equal(u.urls.rest, `${sim.url}/services/data/v{version}/`);
      assert.equal(u.urls.sobjects,
        `${sim.url}/services/data/v{version}/sobjects/`);
    });

    test('userinfo with a version', async () => {
      const res = await api(sim.url, t.access_token, 'GET',
        '/services/oauth2/userinfo?version=60.0');
      assert.equal(res.status, 200);
      assert.equal(res.body.urls.rest, `${sim.url}/services/data/v60.0/`);
    });

    test('userinfo with a bad token', async () => {
      assertInvalidSession(await api(sim.url, 'bogus', 'GET',
        '/services/oauth2/userinfo'));
    });

    test('identity URL with a bearer header', async () => {
      const res = await api(sim.url, t.access_token, 'GET',
        new URL(t.id).pathname);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), JSON_TYPE);
      const d = res.body;
      assert.equal(d.id, t.id);
      assert.equal(d.asserted_user, true);
      assert.equal(d.username, ALICE.username);
      assert.equal(d.nick_name, 'alice');
      assert.equal(typeof d.display_name, 'string');
      assert.equal(d.email, ALICE.username);
      assert.equal(d.active, true);
      assert.equal(d.user_type, 'STANDARD');
      assert.equal(d.language, 'en_US');
      assert.equal(d.locale, 'en_US');
      assert.equal(d.utcOffset, 0);
      assert.match(d.last_modified_date,
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
      assert.equal(d.user_id.length, 18);
      assert.equal(d.organization_id.length, 18);
      assert.ok(t.id.endsWith(`/${d.organization_id}/${d.user_id}`));
      assert.equal(d.urls.query, `${sim.url}/services/data/v{version}/query/`);
    });

    test('identity URL as jsforce calls it', async () => {
      // jsforce sends the token as oauth_token, with format=json.
      const q = new URLSearchParams({
        format: 'json', oauth_token: t.access_token,
      });
      const res = await fetch(`${t.id}?${q}`);
      const d = await res.json();
      assert.equal(res.status, 200);
      assert.equal(d.id, t.id);
      assert.ok(d.user_id);
      assert.ok(d.organization_id);
    });

    test('identity URL with 15-character ids', async () => {
      const [, orgId, userId] = /\/id\/(\w+)\/(\w+)$/.exec(t.id);
      const res = await api(sim.url, t.access_token, 'GET',
        `/id/${orgId.slice(0, 15)}/${userId.slice(0, 15)}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.user_id, userId);
    });

    test('identity of another user', async () => {
      const b = await passwordGrant(sim.url, BOB.username, BOB.password);
      const res = await api(sim.url, t.access_token, 'GET',
        new URL(b.id).pathname);
      assert.equal(res.status, 200);
      assert.equal(res.body.username, BOB.username);
      assert.equal(res.body.asserted_user, false);
    });

    test('identity of an unknown user', async () => {
      const [, orgId] = /\/id\/(\w+)\/(\w+)$/.exec(t.id);
      const res = await api(sim.url, t.access_token, 'GET',
        `/id/${orgId}/005000000000000AAA`);
      assert.equal(res.status, 404);
      assert.equal(res.body[0].errorCode, 'NOT_FOUND');
    });

    test('identity URL with a bad token', async () => {
      assertInvalidSession(await api(sim.url, 'bogus', 'GET',
        new URL(t.id).pathname));
    });
  });

  describe('authorize page and code grant', () => {
    test('page has a labelled login form', async () => {
      const { challenge } = pkcePair();
      const q = authorizeQuery({
        code_challenge: challenge, code_challenge_method: 'S256',
        scope: 'api refresh_token',
      });
      const res = await fetch(`${sim.url}/services/oauth2/authorize?${q}`);
      const html = await res.text();
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.match(html, /<label for="username">/);
      assert.match(html, /<input id="username" name="username"/);
      assert.match(html, /<label for="password">/);
      assert.match(html,
        /<input id="password" name="password" type="password"/);
      assert.match(html,
        /<button type="submit" name="approve" value="1">Allow/);
      const fields = hiddenFields(html);
      assert.equal(fields.state, 'st&ate=1');
      assert.equal(fields.code_challenge, challenge);
      assert.equal(fields.redirect_uri, REDIRECT);
    });

    test('PKCE flow issues tokens', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await authorizationCode(sim.url, {
        code_challenge: challenge, code_challenge_method: 'S256',
      });
      assert.ok(code);
      const res = await token(sim.url,
        codeFields(code, { code_verifier: verifier }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.body.access_token, TOKEN_RE);
      assert.equal(typeof res.body.refresh_token, 'string');
      const info = await api(sim.url, res.body.access_token, 'GET',
        '/services/oauth2/userinfo');
      assert.equal(info.body.preferred_username, ALICE.username);

      // A code works once.
      const again = await token(sim.url,
        codeFields(code, { code_verifier: verifier }));
      assertOAuthError(again, 'invalid_grant', 'invalid authorization code');
    });

    test('redirect keeps a query in redirect_uri', async () => {
      const res = await authorize(sim.url,
        authorizeQuery({ redirect_uri: `${REDIRECT}?app=1` }),
        { username: ALICE.username, password: ALICE.password, approve: '1' });
      assert.equal(res.status, 302);
      const location = new URL(res.headers.get('location'));
      assert.equal(location.origin + location.pathname, REDIRECT);
      assert.equal(location.searchParams.get('app'), '1');
      assert.ok(location.searchParams.get('code'));
    });

    test('wrong code verifier', async () => {
      const { challenge } = pkcePair();
      const code = await authorizationCode(sim.url,
        { code_challenge: challenge });
      const res = await token(sim.url,
        codeFields(code, { code_verifier: pkcePair().verifier }));
      assertOAuthError(res, 'invalid_request');
    });

    test('missing code verifier', async () => {
      const { challenge } = pkcePair();
      const code = await authorizationCode(sim.url,
        { code_challenge: challenge });
      const res = await token(sim.url, codeFields(code));
      assertOAuthError(res, 'invalid_grant');
    });

    test('redirect_uri must match', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await authorizationCode(sim.url,
        { code_challenge: challenge });
      const res = await token(sim.url, codeFields(code, {
        code_verifier: verifier, redirect_uri: 'http://127.0.0.1:9/other',
      }));
      assertOAuthError(res, 'redirect_uri_mismatch');
    });

    test('without PKCE the secret is required', async () => {
      const code = await authorizationCode(sim.url);
      const without = await token(sim.url, codeFields(code));
      assertOAuthError(without, 'invalid_client');
      const res = await token(sim.url,
        codeFields(code, { client_secret: CLIENT_SECRET }));
      assert.equal(res.status, 200);
    });

    test('api scope gives no refresh token', async () => {
      const code = await authorizationCode(sim.url, { scope: 'api' });
      const res = await token(sim.url,
        codeFields(code, { client_secret: CLIENT_SECRET }));
      assert.equal(res.status, 200);
      assert.equal(res.body.scope, 'api');
      assert.equal(res.body.refresh_token, undefined);
    });

    test('unknown code', async () => {
      const res = await token(sim.url,
        codeFields('no-such-code', { client_secret: CLIENT_SECRET }));
      assertOAuthError(res, 'invalid_grant', 'invalid authorization code');
    });

    test('deny redirects with access_denied', async () => {
      const res = await authorize(sim.url, authorizeQuery(),
        { username: ALICE.username, password: ALICE.password, approve: '0' });
      assert.equal(res.status, 302);
      const location = new URL(res.headers.get('location'));
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.equal(location.searchParams.get('state'), 'st&ate=1');
      assert.equal(location.searchParams.get('code'), null);
    });

    test('wrong password shows the page again', async () => {
      const res = await authorize(sim.url, authorizeQuery(),
        { username: ALICE.username, password: 'guess', approve: '1' });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(res.body, /role="alert"/);
      assert.match(res.body, /name="password"/);
      assert.match(res.body, /value="alice@example\.com"/);
    });

    test('unknown client is shown on the page', async () => {
      const q = authorizeQuery({ client_id: 'other' });
      const res = await fetch(`${sim.url}/services/oauth2/authorize?${q}`,
        { redirect: 'manual' });
      const html = await res.text();
      assert.equal(res.status, 400);
      assert.match(html, /invalid_client_id/);
      assert.doesNotMatch(html, /<form/);
    });

    test('bad redirect_uri is shown on the page', async () => {
      for (const uri of ['ftp://127.0.0.1/cb', 'callback',
        'http://127.0.0.1/cb#frag']) {
        const q = authorizeQuery({ redirect_uri: uri });
        const res = await fetch(`${sim.url}/services/oauth2/authorize?${q}`,
          { redirect: 'manual' });
        const html = await res.text();
        assert.equal(res.status, 400, uri);
        assert.match(html, /redirect_uri_mismatch/, uri);
      }
    });

    test('unsupported response type redirects', async () => {
      const q = authorizeQuery({ response_type: 'token' });
      const res = await fetch(`${sim.url}/services/oauth2/authorize?${q}`,
        { redirect: 'manual' });
      await res.arrayBuffer();
      assert.equal(res.status, 302);
      const location = new URL(res.headers.get('location'));
      assert.equal(location.searchParams.get('error'),
        'unsupported_response_type');
      assert.equal(location.searchParams.get('state'), 'st&ate=1');
    });

    test('plain challenge method redirects', async () => {
      const q = authorizeQuery({
        code_challenge: 'abc', code_challenge_method: 'plain',
      });
      const res = await fetch(`${sim.url}/services/oauth2/authorize?${q}`,
        { redirect: 'manual' });
      await res.arrayBuffer();
      assert.equal(res.status, 302);
      const location = new URL(res.headers.get('location'));
      assert.equal(location.searchParams.get('error'), 'invalid_request');
    });
  });

  describe('JWT bearer grant', () => {
    test('signed assertion gives a token', async () => {
      const res = await token(sim.url,
        jwtFields(makeJwt(keys.privateKey, jwtClaims())));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.body.access_token, TOKEN_RE);
      assert.equal(res.body.refresh_token, undefined);
      const info = await api(sim.url, res.body.access_token, 'GET',
        '/services/oauth2/userinfo');
      assert.equal(info.body.preferred_username, ALICE.username);
    });

    test('exp as a string and aud as the instance', async () => {
      const claims = jwtClaims({
        exp: String(Math.floor(Date.now() / 1000) + 60),
        aud: sim.url,
        sub: BOB.username,
      });
      const res = await token(sim.url,
        jwtFields(makeJwt(keys.privateKey, claims)));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    test('test.salesforce.com audience', async () => {
      const claims = jwtClaims({ aud: 'https://test.salesforce.com' });
      const res = await token(sim.url,
        jwtFields(makeJwt(keys.privateKey, claims)));
      assert.equal(res.status, 200);
    });

    test('signature from another key', async () => {
      const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      const res = await token(sim.url,
        jwtFields(makeJwt(other.privateKey, jwtClaims())));
      assertOAuthError(res, 'invalid_grant', 'invalid assertion');
    });

    test('algorithm other than RS256', async () => {
      const res = await token(sim.url, jwtFields(
        makeJwt(keys.privateKey, jwtClaims(), { alg: 'RS512' })));
      assertOAuthError(res, 'invalid_grant', 'invalid assertion');
    });

    test('malformed assertion', async () => {
      const res = await token(sim.url, jwtFields('not.a-jwt'));
      assertOAuthError(res, 'invalid_grant', 'invalid assertion');
    });

    test('issuer is not the client', async () => {
      const res = await token(sim.url, jwtFields(
        makeJwt(keys.privateKey, jwtClaims({ iss: 'other' }))));
      assertOAuthError(res, 'invalid_client_id', 'client identifier invalid');
    });

    test('wrong audience', async () => {
      const res = await token(sim.url, jwtFields(makeJwt(keys.privateKey,
        jwtClaims({ aud: 'https://example.com' }))));
      assertOAuthError(res, 'invalid_grant', 'audience is invalid');
    });

    test('expired assertion', async () => {
      const exp = Math.floor(Date.now() / 1000) - 10;
      const res = await token(sim.url,
        jwtFields(makeJwt(keys.privateKey, jwtClaims({ exp }))));
      assertOAuthError(res, 'invalid_grant');
    });

    test('exp too far ahead', async () => {
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const res = await token(sim.url,
        jwtFields(makeJwt(keys.privateKey, jwtClaims({ exp }))));
      assertOAuthError(res, 'invalid_grant');
    });

    test('exp in milliseconds', async () => {
      const res = await token(sim.url, jwtFields(makeJwt(keys.privateKey,
        jwtClaims({ exp: Date.now() + 60000 }))));
      assertOAuthError(res, 'invalid_grant');
    });

    test('unknown subject', async () => {
      const res = await token(sim.url, jwtFields(makeJwt(keys.privateKey,
        jwtClaims({ sub: 'nobody@example.com' }))));
      assertOAuthError(res, 'invalid_grant');
    });

    test('missing assertion', async () => {
      const res = await token(sim.url, {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      });
      assertOAuthError(res, 'invalid_request');
    });
  });

  test('log names grants and never tokens', async () => {
    const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    await token(sim.url, passwordFields({ ...ALICE, password: 'guess' }));
    await sleep(100);
    const log = sim.stderr();
    assert.match(log, /access token issued.*grant=password/);
    assert.match(log, /token request failed.*error=invalid_grant/);
    assert.ok(!log.includes(t.access_token));
    assert.ok(!log.includes(t.refresh_token));
    assert.ok(!log.includes(ALICE.password));
    assert.ok(!log.includes(CLIENT_SECRET));
  });
});

describe('sfsim OAuth without a JWT key', () => {
  let sim;

  before(async () => { sim = await startSim(USER_ARGS); });
  after(async () => { await sim.stop(); });

  test('JWT bearer grant fails', async () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa',
      { modulusLength: 2048 });
    const res = await token(sim.url,
      jwtFields(makeJwt(privateKey, jwtClaims())));
    assertOAuthError(res, 'invalid_grant', 'invalid assertion');
  });
});

describe('sfsim refresh token rotation', () => {
  let sim;

  before(async () => {
    sim = await startSim([...USER_ARGS, '--rotate-refresh-tokens']);
  });
  after(async () => { await sim.stop(); });

  test('each refresh replaces the refresh token', async () => {
    const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    const first = await refresh(sim.url, t.refresh_token);
    assert.equal(first.status, 200);
    assert.equal(typeof first.body.refresh_token, 'string');
    assert.notEqual(first.body.refresh_token, t.refresh_token);
    assert.equal((await limits(sim.url, first.body.access_token)).status, 200);

    // The old refresh token is dead, but its access token lives on.
    assertOAuthError(await refresh(sim.url, t.refresh_token),
      'invalid_grant', 'expired access/refresh token');
    assert.equal((await limits(sim.url, t.access_token)).status, 200);

    const second = await refresh(sim.url, first.body.refresh_token);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refresh_token, first.body.refresh_token);
  });

  test('sweep keeps rotated parents', async () => {
    const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    const next = (await refresh(sim.url, t.refresh_token)).body;
    // More than 256 new tokens make sfsim sweep its token table. The
    // second sweep reads the parents that the first one kept.
    await issueMany(sim.url, 300);
    await issueMany(sim.url, 300);
    assert.equal((await limits(sim.url, t.access_token)).status, 200);
    assert.equal((await revoke(sim.url, next.refresh_token)).status, 200);
    assertInvalidSession(await limits(sim.url, next.access_token));
    assert.equal((await limits(sim.url, t.access_token)).status, 200);
  });
});

describe('sfsim token lifetime', () => {
  let sim;

  before(async () => {
    sim = await startSim([...USER_ARGS, '--token-lifetime', '1']);
  });
  after(async () => { await sim.stop(); });

  test('access token expires, refresh recovers', async () => {
    const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    assert.equal((await limits(sim.url, t.access_token)).status, 200);
    await sleep(1300);
    assertInvalidSession(await limits(sim.url, t.access_token));
    assertInvalidSession(await api(sim.url, t.access_token, 'GET',
      '/services/oauth2/userinfo'));
    const fresh = await refresh(sim.url, t.refresh_token);
    assert.equal(fresh.status, 200);
    assert.equal((await limits(sim.url, fresh.body.access_token)).status,
      200);
  });

  test('sweep drops dead tokens only', async () => {
    const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    const revoked = await passwordGrant(sim.url, BOB.username, BOB.password);
    assert.equal((await revoke(sim.url, revoked.refresh_token)).status, 200);
    await sleep(1100);
    // More than 256 new tokens make sfsim sweep its token table.
    const live = await issueMany(sim.url, 300);
    assert.equal((await limits(sim.url, live.at(-1))).status, 200);
    assertInvalidSession(await limits(sim.url, t.access_token));
    // A swept token is gone from the table, so it is logged as unknown.
    await sleep(50);
    assert.match(sim.stderr(), /access token rejected reason=unknown/);
    assertOAuthError(await refresh(sim.url, revoked.refresh_token),
      'invalid_grant', 'expired access/refresh token');
    const fresh = await refresh(sim.url, t.refresh_token);
    assert.equal(fresh.status, 200);
    assert.equal((await limits(sim.url, fresh.body.access_token)).status,
      200);
  });
});

describe('sfsim expire-after fault', () => {
  let sim;

  before(async () => {
    sim = await startSim([...USER_ARGS, '--fault', 'expire-after=2']);
  });
  after(async () => { await sim.stop(); });

  test('token dies after two calls', async () => {
    const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    assert.equal((await limits(sim.url, t.access_token)).status, 200);
    assert.equal((await limits(sim.url, t.access_token)).status, 200);
    assertInvalidSession(await limits(sim.url, t.access_token));
    assertInvalidSession(await limits(sim.url, t.access_token));
    const fresh = await refresh(sim.url, t.refresh_token);
    assert.equal(fresh.status, 200);
    assert.equal((await limits(sim.url, fresh.body.access_token)).status,
      200);
  });

  test('userinfo does not count as a call', async () => {
    const t = await clientCredentials(sim.url);
    for (let i = 0; i < 3; i++) {
      const res = await api(sim.url, t.access_token, 'GET',
        '/services/oauth2/userinfo');
      assert.equal(res.status, 200);
    }
    assert.equal((await limits(sim.url, t.access_token)).status, 200);
    assert.equal((await limits(sim.url, t.access_token)).status, 200);
    assertInvalidSession(await limits(sim.url, t.access_token));
    assertInvalidSession(await api(sim.url, t.access_token, 'GET',
      '/services/oauth2/userinfo'));
  });
});

describe('sfsim refresh-revoked fault', () => {
  let sim;

  before(async () => {
    sim = await startSim([...USER_ARGS, '--fault', 'refresh-revoked=1']);
  });
  after(async () => { await sim.stop(); });

  test('refresh fails with invalid_grant', async () => {
    const t = await passwordGrant(sim.url, ALICE.username, ALICE.password);
    assert.equal(typeof t.refresh_token, 'string');
    assert.equal((await limits(sim.url, t.access_token)).status, 200);
    assertOAuthError(await refresh(sim.url, t.refresh_token),
      'invalid_grant', 'expired access/refresh token');
  });
});
