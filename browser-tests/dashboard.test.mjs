// The live dashboard in a real headless Chromium (Debian's), against the packaged jar on a free port with a
// throw-away DATA_DIR: sign in, place a sandbox call, watch it go ringing → answered → completed in the table
// without a reload; a second user signed in elsewhere never sees it; an unauthenticated bridge socket is refused;
// the README's bridge example works as written; the dashboard reconnects by itself after the service restarts.
// Screenshots land in target/browser-tests/. Run: mvn -B package -DskipTests && npm ci --prefix browser-tests &&
// node --test browser-tests/dashboard.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  ADMIN_PASSWORD, JAR, ROOT, SHOTS, Service, freePort, openBrowser, placeCall, screenshot, signIn, sleep,
  statusesSeen, watchTable,
} from './support.mjs';

const PASSWORD = 'a-long-browser-test-password';
const SANDBOX_ANSWERED = '+15550100'; // sandbox: last digit 0 rings 1 s, answers, the IVR hangs up 2 s later

let service;
let alice;
let bob;
let alicesCall;

const abandon = () => service && service.killNow();
process.once('exit', abandon);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { abandon(); process.exit(130); });
}

before(async () => {
  assert.ok(existsSync(JAR), `build the jar first (mvn -B package -DskipTests): ${JAR} is missing`);
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  service = new Service(await freePort());
  await service.start();
  const admin = await service.token('admin', ADMIN_PASSWORD);
  for (const username of ['alice', 'bob']) {
    const created = await service.api('POST', '/api/v2/users', admin, { username, password: PASSWORD, role: 'user' });
    assert.equal(created.status, 201, `creating ${username}: ${JSON.stringify(created.body)}`);
  }
  [alice, bob] = await Promise.all([openBrowser('alice'), openBrowser('bob')]);
});

after(async () => {
  await Promise.allSettled([alice && alice.close(), bob && bob.close()]);
  if (service) {
    await service.dispose();
  }
});

test('sign in, place a call, and watch ringing → answered → completed arrive live in the table', { timeout: 90_000 },
  async () => {
    await alice.page.goto(`${service.base}/dashboard`);
    // The sandbox run (as the quick start's) tells a newcomer which account to sign in with.
    await alice.page.locator('#login-hint').waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await alice.page.locator('#login-hint').textContent(), /admin/);
    await screenshot(alice.page, '01-sign-in');
    await signIn(alice.page, service.base, 'alice', PASSWORD);
    await signIn(bob.page, service.base, 'bob', PASSWORD);
    await watchTable(alice.page);

    alicesCall = await placeCall(alice.page, SANDBOX_ANSWERED, { callerId: '"Support" <+15550199>' });
    const row = alice.page.locator(`tr[data-call-id="${alicesCall}"]`);
    // "Active" counts the calls the server marks is_active: this one while it is in progress, not once it ended.
    await alice.page.waitForFunction(() => document.querySelector('.chip-active .count')?.textContent === '1',
      null, { timeout: 15_000 });
    await alice.page.locator(`tr[data-call-id="${alicesCall}"][data-status="answered"]`).waitFor({ timeout: 15_000 });
    await screenshot(alice.page, '02-call-answered-live');
    await alice.page.locator(`tr[data-call-id="${alicesCall}"][data-status="completed"]`).waitFor({ timeout: 15_000 });
    await alice.page.locator('#timeline .step-completed').waitFor({ timeout: 10_000 });
    await sleep(1300); // the row's highlight of its last change fades
    await screenshot(alice.page, '03-live-table-completed');

    const seen = await statusesSeen(alice.page, alicesCall);
    assert.ok(seen, 'the page was reloaded: its record of the table is gone');
    const order = ['ringing', 'answered', 'completed'].map((s) => seen.indexOf(s));
    assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1])),
      `the row went through ${seen.join(' → ')}, not ringing → answered → completed`);
    assert.match(await row.locator('.cell-duration').innerText(), /^[1-3] s$/);
    assert.equal(await alice.page.locator('.chip-completed .count').innerText(), '1');
    assert.equal(await alice.page.locator('.chip-active .count').innerText(), '0');
    const steps = await alice.page.locator('#timeline .step-status').allInnerTexts();
    assert.deepEqual(steps.slice(-3), ['Ringing', 'Answered', 'Completed']);
    assert.ok(alice.sockets.some((url) => /\/eventbus\/.+\/websocket$/.test(url)),
      `the dashboard did not use the bridge's WebSocket transport: ${alice.sockets}`);
    assert.deepEqual(alice.problems, []);
  });

test('a second user signed in elsewhere does not see that call, and sees their own', { timeout: 60_000 }, async () => {
  assert.ok(alicesCall, 'needs the call of the previous test');
  assert.equal(await bob.page.locator(`tr[data-call-id="${alicesCall}"]`).count(), 0);
  assert.ok(bob.framesReceived.length > 0, 'bob\'s bridge socket received nothing at all');
  assert.ok(!bob.framesReceived.some((frame) => frame.includes(alicesCall)),
    'a frame about alice\'s call reached bob\'s browser');

  await watchTable(bob.page);
  const bobsCall = await placeCall(bob.page, '+15550105');
  await bob.page.locator(`tr[data-call-id="${bobsCall}"][data-status="completed"]`).waitFor({ timeout: 15_000 });
  assert.ok((await statusesSeen(bob.page, bobsCall)).includes('answered'));
  await screenshot(bob.page, '04-second-user');
  await sleep(300);
  assert.equal(await alice.page.locator(`tr[data-call-id="${bobsCall}"]`).count(), 0);
  assert.ok(!alice.framesReceived.some((frame) => frame.includes(bobsCall)));
  assert.deepEqual(bob.problems, []);
});

test('an unauthenticated or forged bridge socket is refused and receives nothing', { timeout: 60_000 }, async () => {
  const page = await bob.context.newPage();
  try {
    await page.goto(`${service.base}/dashboard`);
    const attempt = (url, frame) => page.evaluate(([socketUrl, first]) => new Promise((resolve) => {
      const frames = [];
      const socket = new SockJS(socketUrl);
      socket.onopen = () => socket.send(JSON.stringify(first));
      socket.onmessage = (event) => frames.push(JSON.parse(event.data));
      socket.onclose = (event) => resolve({ frames, closed: true, code: event.code, transport: socket.transport });
      setTimeout(() => resolve({ frames, closed: false }), 15_000);
    }), [url, frame]);

    const anonymous = await attempt('/eventbus', { type: 'register', address: 'calls.status.all' });
    assert.equal(anonymous.closed, true, 'the socket without a token stayed open');
    assert.deepEqual(anonymous.frames, [{ type: 'err', body: 'auth_required' }]);

    const forged = await attempt('/eventbus?access_token=not.a.token', { type: 'register', address: 'calls.status.all' });
    assert.equal(forged.closed, true, 'the socket with a forged token stayed open');
    assert.deepEqual(forged.frames, [{ type: 'err', body: 'invalid_token' }]);

    const wrongHeader = await attempt('/eventbus', {
      type: 'register', address: 'calls.status.owner.alice', headers: { Authorization: 'Bearer forged' },
    });
    assert.equal(wrongHeader.closed, true);
    assert.deepEqual(wrongHeader.frames, [{ type: 'err', body: 'invalid_token' }]);
  } finally {
    await page.close();
  }
});

// xhr-polling, SockJS's last resort, is left out: Vert.x 5 closes the connection after each poll
// (vert-x3/vertx-web#2862), and a poll racing that close fails now and then, in any client.
test('the bridge also works over SockJS\'s XHR streaming, for proxies that block WebSockets', { timeout: 60_000 },
  async () => {
    const page = await alice.context.newPage();
    try {
      await page.goto(`${service.base}/dashboard`);
      const token = await service.token('alice', PASSWORD);
      const transport = 'xhr-streaming';
      const result = await page.evaluate(([accessToken, only, number]) => new Promise((resolve) => {
        const seen = {};
        let callId = null;
        const socket = new SockJS(`/eventbus?access_token=${encodeURIComponent(accessToken)}`, null,
          { transports: [only] });
        socket.onopen = () => {
          socket.send(JSON.stringify({ type: 'register', address: 'calls.status.owner.alice' }));
        };
        socket.onmessage = async (event) => {
          const frame = JSON.parse(event.data);
          if (frame.type === 'registered') {
            const placed = await fetch('/api/v2/calls', {
              method: 'POST',
              headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
              body: JSON.stringify({ phone_number: number }),
            });
            callId = (await placed.json()).call_id;
          } else if (frame.type === 'rec') {
            // Events may arrive before the call's own POST answers: keep them all, by call.
            const statuses = seen[frame.body.call_id] || (seen[frame.body.call_id] = []);
            statuses.push(frame.body.status);
            if (frame.body.status === 'completed' && frame.body.call_id === callId) {
              resolve({ transport: socket.transport, statuses });
              socket.close();
            }
          }
        };
        socket.onclose = (event) => resolve({ closed: event.code, seen });
        setTimeout(() => resolve({ timeout: true, seen }), 20_000);
      }), [token, transport, SANDBOX_ANSWERED]);
      assert.equal(result.transport, transport, JSON.stringify(result));
      assert.deepEqual(result.statuses.slice(-3), ['ringing', 'answered', 'completed'], JSON.stringify(result));
    } finally {
      await page.close();
    }
  });

test('the README\'s JavaScript bridge example works as written', { timeout: 60_000 }, async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = readme.match(/<!-- bridge-example:start -->\s*```js\n([\s\S]*?)```\s*<!-- bridge-example:end -->/);
  assert.ok(block, 'README.md has no bridge example between the bridge-example markers');
  const dir = join(SHOTS, 'readme-example');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bridge-example.mjs'), block[1]);
  if (!existsSync(join(dir, 'node_modules'))) {
    symlinkSync(join(ROOT, 'browser-tests', 'node_modules'), join(dir, 'node_modules'), 'dir');
  }
  const example = spawn(process.execPath, ['bridge-example.mjs'], {
    cwd: dir,
    env: { ...process.env, CC_URL: service.base, CC_USERNAME: 'alice', CC_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  example.stdout.on('data', (data) => { output += data; });
  example.stderr.on('data', (data) => { output += data; });
  const waitFor = async (pattern, what) => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(output)) {
      assert.ok(Date.now() < deadline && example.exitCode === null, `the example never printed ${what}:\n${output}`);
      await sleep(100);
    }
  };
  try {
    await waitFor(/listening on calls\.status\.owner\.alice/, 'that it listens');
    const token = await service.token('alice', PASSWORD);
    const placed = await service.api('POST', '/api/v2/calls', token, { phone_number: SANDBOX_ANSWERED });
    assert.equal(placed.status, 201);
    const callId = placed.body.call_id;
    await waitFor(new RegExp(`${callId}.*answered -> completed`), 'the call completing');
    const lines = output.split('\n').filter((line) => line.includes(callId));
    assert.ok(lines.some((l) => l.endsWith('ringing -> answered')), `example printed:\n${output}`);
    assert.ok(lines.some((l) => l.endsWith('answered -> completed')), `example printed:\n${output}`);
  } finally {
    example.kill();
  }
});

test('the connection state shows the outage and reconnects by itself after the service restarts',
  { timeout: 180_000 }, async () => {
    await service.stop();
    await alice.page.locator('#connection[data-state="reconnecting"]').waitFor({ timeout: 20_000 });
    await alice.page.locator('#connection-text', { hasText: 'Offline' }).waitFor({ timeout: 20_000 });
    await screenshot(alice.page, '05-service-down');

    await service.start();
    await alice.page.locator('#connection[data-state="open"]').waitFor({ timeout: 60_000 });
    await watchTable(alice.page);
    const again = await placeCall(alice.page, SANDBOX_ANSWERED);
    await alice.page.locator(`tr[data-call-id="${again}"][data-status="completed"]`).waitFor({ timeout: 20_000 });
    assert.ok((await statusesSeen(alice.page, again)).includes('answered'),
      'after the restart the status changes no longer arrive live');
    assert.equal(await alice.page.locator(`tr[data-call-id="${alicesCall}"][data-status="completed"]`).count(), 1);
    await screenshot(alice.page, '06-reconnected');
  });
