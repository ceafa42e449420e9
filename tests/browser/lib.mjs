// SPDX-License-Identifier: MIT
// Helpers for the browser tests: a real sfsim, a real `sfsync serve` in
// its own temporary directory and database, users made with `sfsync users
// add`, and Debian's Chromium driven by playwright-core. $SFSIM and
// $SFSYNC name the binaries (CTest sets them); $SFSYNC_ARTIFACTS names
// the folder for screenshots.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import {
  Workdir, startSim, connectArgs, assertNoSanitizerReport, describeRun,
  clientCredentials, api, V, setFaults, sleep, CLIENT_ID, CLIENT_SECRET,
} from '../cli/lib.mjs';

export {
  startSim, clientCredentials, api, V, setFaults, sleep, CLIENT_ID,
  CLIENT_SECRET,
};

export const CHROMIUM = '/usr/bin/chromium';
export const PHONE = { width: 375, height: 740 };
export const DESKTOP = { width: 1280, height: 860 };

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = process.env.SFSYNC_ARTIFACTS
  || path.join(here, 'artifacts');

let playwright;
try {
  playwright = await import('playwright-core');
} catch (e) {
  throw new Error('playwright-core is not installed: run npm ci in '
    + `${here} (scripts/install-deps.sh does)`);
}

// Launch Chromium headless. Chromium's sandbox does not start as root
// ("Chromium sandboxing failed"), and CI runs as root, so only a root run
// gets --no-sandbox (which Playwright adds for chromiumSandbox: false).
export async function launchBrowser() {
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: process.getuid() !== 0,
  });
}

// Save a PNG of the page as ARTIFACTS/NAME.png.
export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`),
    fullPage: true });
}

// One `sfsync serve` on port 0 with its own database.
export class Server {
  constructor() {
    this.w = new Workdir('sfsync-web-');
    this.proc = null;
    this.url = null;
    this.stderr = '';
  }

  async init() {
    await this.w.ok(['init']);
  }

  // Connect with the client credentials grant, as `sfsync connect` does.
  async connect(simUrl) {
    await this.w.ok(connectArgs(this.w, simUrl));
  }

  // Add a user with `sfsync users add`, the password read from a file.
  async addUser(name, role, password) {
    const file = this.w.file(`password-${name}`, `${password}\n`);
    await this.w.ok(['users', 'add', name, '--role', role,
      '--password-file', file]);
  }

  async run(args) {
    return this.w.ok(args);
  }

  // Start serving and wait for the line that names the address.
  async start(extraArgs = []) {
    const bin = process.env.SFSYNC;
    if (!bin) throw new Error('SFSYNC is not set: point it at the sfsync binary');
    const env = { ...process.env };
    delete env.SFSYNC_DB;
    env.ASAN_OPTIONS = ['detect_leaks=1', process.env.ASAN_OPTIONS]
      .filter(Boolean).join(':');
    this.proc = spawn(bin, ['--db', this.w.db, 'serve', '--listen',
      '127.0.0.1:0', ...extraArgs], {
      cwd: this.w.dir, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    const lines = readline.createInterface({ input: this.proc.stdout });
    const first = await new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(
        `sfsync serve exited with ${code}: ${this.stderr}`));
      this.proc.once('exit', onExit);
      lines.once('line', (l) => {
        this.proc.off('exit', onExit);
        resolve(l);
      });
    });
    const m = /^sfsync serving (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
    if (!m) throw new Error(`unexpected first line from sfsync serve: ${first}`);
    this.url = m[1];
    return this.url;
  }

  // Stop with SIGTERM and fail on an unclean exit or a sanitizer report.
  async stop() {
    if (this.proc && this.proc.exitCode === null
        && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      await once(this.proc, 'exit');
    }
    if (this.proc) {
      const res = { code: this.proc.exitCode, signal: this.proc.signalCode,
        stdout: '', stderr: this.stderr, args: ['serve'] };
      assertNoSanitizerReport(res);
      assert.equal(res.code, 0, describeRun(res));
    }
    this.w.remove();
  }
}

// Start sfsim (with simArgs) and an initialised sfsync serve with an admin
// "ada" and an agent "bob". connect: true connects with client credentials
// first, then each `sfsync config set` of config and each `sfsync pull` of
// pulls runs before the server starts. Returns {sim, server, browser,
// close()}.
export async function startStack({
  simArgs = [], connect = true, config = {}, pulls = [],
} = {}) {
  const sim = await startSim(['--user', `${SALES_USER}:${SALES_PASSWORD}`,
    ...simArgs]);
  const server = new Server();
  let browser = null;
  try {
    await server.init();
    await server.addUser('ada', 'admin', ADMIN_PASSWORD);
    await server.addUser('bob', 'agent', AGENT_PASSWORD);
    if (connect) await server.connect(sim.url);
    for (const [key, value] of Object.entries(config)) {
      await server.run(['config', 'set', key, String(value)]);
    }
    for (const object of pulls) await server.run(['pull', object]);
    await server.start();
    browser = await launchBrowser();
  } catch (e) {
    await server.stop().catch(() => {});
    await sim.stop().catch(() => {});
    throw e;
  }
  return {
    sim, server, browser,
    async close() {
      await browser.close();
      await server.stop();
      await sim.stop();
    },
  };
}

export const ADMIN_PASSWORD = 'admin passphrase 1';
export const AGENT_PASSWORD = 'agent passphrase 2';
// A Salesforce user of sfsim for the authorize page.
export const SALES_USER = 'rep@sfsim.local';
export const SALES_PASSWORD = 'rep-password-1';

// Waits of the tests, shorter than Playwright's 30 s so that a broken page
// fails soon; the slowest step (the pull of 1,500 Leads) sets its own.
const WAIT_MS = 15000;

// A new browser context (cookies, storage) at viewport size.
export async function openContext(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(WAIT_MS);
  return context;
}

// Open a page of the server at viewport size and sign in through the form.
export async function signIn(browser, baseUrl, name, password,
  { viewport = DESKTOP } = {}) {
  const context = await openContext(browser, viewport);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`${baseUrl}/#integration`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who-name').filter({ hasText: name }).waitFor();
  return { context, page, problems };
}

// Collect console errors and uncaught exceptions of a page, which each test
// checks at its end: a CSP violation or a script error shows up here.
export function watchPage(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Chromium logs every 4xx reply as "Failed to load resource"; the page
    // gets such replies on purpose (401 before sign-in, 409, 422).
    if (m.type() === 'error'
        && !m.text().startsWith('Failed to load resource: the server responded')) {
      problems.push(`console: ${m.text()}`);
    }
  });
  return problems;
}

// A page has no horizontal scroll when its document is no wider than the
// viewport.
export async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth
    - document.documentElement.clientWidth);
}

// Record the method, path and X-CSRF-Token header of every request the page
// sends to its own server.
export function watchRequests(page) {
  const requests = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    requests.push({ method: r.method(), path: url.pathname,
      origin: url.origin, csrf: r.headers()['x-csrf-token'] || null });
  });
  return requests;
}
