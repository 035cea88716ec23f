// Test support: the packaged service as a child process, a Debian Chromium driven by playwright-core, and the API.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const JAR = join(ROOT, 'target', 'contact-center-api.jar');
export const SHOTS = join(ROOT, 'target', 'browser-tests');
export const ADMIN_PASSWORD = 'browser-test-admin-password';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// What CI and a developer's machine run: Debian's chromium, headless, nothing phoning home.
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The service from target/contact-center-api.jar on a loopback port, with its own data directory (embedded
 * PostgreSQL, generated secret) kept across restart() so tokens and users survive, as in production.
 */
export class Service {
  constructor(port) {
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.dataDir = mkdtempSync(join(tmpdir(), 'cc-browser-data-'));
    this.logFile = join(SHOTS, 'service.log');
    this.child = null;
    this.exited = null;
  }

  async start() {
    mkdirSync(SHOTS, { recursive: true });
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn('java', ['-jar', JAR], {
      cwd: this.dataDir,
      env: {
        ...process.env,
        HTTP_HOST: '127.0.0.1', HTTP_PORT: String(this.port), HTTP_INSTANCES: '2',
        DATA_DIR: this.dataDir, ADMIN_PASSWORD, BCRYPT_COST: '4', TOKEN_RATE_LIMIT: '1000',
        DATABASE_URL: '', ARI_HTTP_URL: '', SECRET_KEY: '', CORS_ALLOWED_ORIGINS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the service exited at start:\n${this.logTail()}`);
      }
      try {
        const ready = await fetch(`${this.base}/health/ready`);
        if (ready.ok) {
          return;
        }
      } catch (e) {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`the service did not become ready:\n${this.logTail()}`);
  }

  /** SIGTERM (the service stops its embedded PostgreSQL on the way out), SIGKILL only if it hangs. */
  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    child.kill('SIGTERM');
    const done = await Promise.race([this.exited, sleep(30_000).then(() => null)]);
    if (!done) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async dispose() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Last resort on an abrupt exit of the test process: never leave the service behind. */
  killNow() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
    }
  }

  logTail() {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-40).join('\n');
    } catch (e) {
      return '(no log)';
    }
  }

  async token(username, password) {
    const response = await fetch(`${this.base}/api/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', username, password }),
    });
    if (!response.ok) {
      throw new Error(`token for ${username}: ${response.status} ${await response.text()}`);
    }
    return (await response.json()).access_token;
  }

  async api(method, path, token, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }
}

/**
 * A browser "elsewhere": its own Chromium with a fresh profile (launchPersistentContext passes the fresh
 * --user-data-dir), one page, and every WebSocket frame that page receives kept for asserts.
 */
export async function openBrowser(name) {
  const profile = mkdtempSync(join(tmpdir(), `cc-chromium-${name}-`));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1366, height: 820 },
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const page = context.pages()[0] || await context.newPage();
  const sockets = [];
  const framesReceived = [];
  const problems = [];
  page.on('websocket', (ws) => {
    sockets.push(ws.url());
    ws.on('framereceived', (frame) => framesReceived.push(String(frame.payload)));
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console error: ${message.text()}`);
    }
  });
  return {
    name, context, page, sockets, framesReceived, problems,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function signIn(page, base, username, password) {
  await page.goto(`${base}/dashboard`);
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#connection[data-state="open"]', { timeout: 15_000 });
}

/** Places a call through the dashboard's form; returns the call id from the API's answer. */
export async function placeCall(page, number, options = {}) {
  await page.fill('#call-number', number);
  await page.fill('#call-context', options.context || '');
  await page.fill('#call-extension', options.extension || '');
  await page.fill('#call-callerid', options.callerId || '');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v2/calls') && r.request().method() === 'POST'),
    page.click('#call-submit'),
  ]);
  const body = await response.json();
  if (response.status() !== 201) {
    throw new Error(`the dashboard's call was refused: ${response.status()} ${JSON.stringify(body)}`);
  }
  return body.call_id;
}

/** Records, in the page, every status each row of the calls table shows, in order (a reload would erase it). */
export async function watchTable(page) {
  await page.evaluate(() => {
    window.__statusesSeen = {};
    const body = document.getElementById('calls-body');
    const record = () => {
      for (const row of body.rows) {
        const seen = window.__statusesSeen[row.dataset.callId] || (window.__statusesSeen[row.dataset.callId] = []);
        if (seen[seen.length - 1] !== row.dataset.status) {
          seen.push(row.dataset.status);
        }
      }
    };
    new MutationObserver(record).observe(body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'],
    });
    record();
  });
}

export async function statusesSeen(page, callId) {
  return page.evaluate((id) => (window.__statusesSeen ? window.__statusesSeen[id] || [] : null), callId);
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
