// The live call dashboard: signs in with /api/v2/token, lists the user's calls (/api/v2/calls), places calls,
// shows a call's timeline (/api/v2/calls/{id}/events) and applies every status change pushed by the event-bus
// bridge, without reloading. Everything is rendered with textContent: no server data is ever parsed as HTML.
import { EventBusClient } from '/dashboard/eventbus.js';

const TOKEN_KEY = 'contact-center.token';
const PAGE_SIZE = 100;
const STATUS_LABELS = {
  queued: 'Queued', pending: 'Pending', dialing: 'Dialing', ringing: 'Ringing', answered: 'Answered', completed: 'Completed',
  busy: 'Busy', no_answer: 'No answer', failed: 'Failed', canceled: 'Canceled',
};
// The state machine only moves forward: queued → pending → dialing → ringing → answered → a final state.
const RANK = {
  queued: 0, pending: 1, dialing: 2, ringing: 3, answered: 4, completed: 5, busy: 5, no_answer: 5, failed: 5, canceled: 5,
};
// Whether a call is in progress is the server's word (is_active, on the list, every read and every bus publication).
// A call known only from its creation answer does not carry it yet: select() reads the whole call right after.
const isActive = (call) => call.is_active === true;
const FILTERS = [
  ['all', 'All'], ['active', 'Active'], ['queued', 'Queued'], ['dialing', 'Dialing'], ['ringing', 'Ringing'], ['answered', 'Answered'],
  ['completed', 'Completed'], ['busy', 'Busy'], ['no_answer', 'No answer'], ['failed', 'Failed'], ['canceled', 'Canceled'],
];
const AUTH_MESSAGES = {
  token_expired: 'Your session expired. Sign in again.',
  invalid_token: 'Your session is no longer valid. Sign in again.',
  user_disabled: 'This account has been disabled.',
  auth_required: 'Sign in to see your calls.',
};

const $ = (id) => document.getElementById(id);
const state = {
  token: null, user: null, admin: false, bus: null,
  calls: new Map(), rows: new Map(), filter: 'all', selected: null, nextCursor: null, listLoaded: false,
  timeline: { callId: null, events: [] },
};

// ---------------------------------------------------------------------------------------------------- session

function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch (e) {
    return null;
  }
}

function start() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const claims = token && claimsOf(token);
  if (claims && claims.exp * 1000 > Date.now()) {
    signedIn(token, claims);
  } else {
    showLogin();
  }
  $('login-form').addEventListener('submit', onLogin);
  $('call-form').addEventListener('submit', onPlaceCall);
  $('logout').addEventListener('click', () => signOut());
  $('load-more').addEventListener('click', () => loadCalls(state.nextCursor));
  setInterval(tickDurations, 1000);
}

function showLogin(message) {
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  $('whoami').hidden = true;
  $('logout').hidden = true;
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message || '';
  $('login-username').focus();
  showTryingOutHint();
}

/** In the zero-config run (calls simulated by the sandbox) say which account to use. */
async function showTryingOutHint() {
  try {
    const response = await fetch('/health', { headers: { Accept: 'application/json' } });
    const health = await response.json();
    $('login-hint').hidden = health.simulated !== true;
  } catch (e) {
    $('login-hint').hidden = true;
  }
}

async function onLogin(event) {
  event.preventDefault();
  const button = $('login-submit');
  button.disabled = true;
  try {
    const response = await fetch('/api/v2/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password', username: $('login-username').value, password: $('login-password').value,
      }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = response.status === 401 ? 'Wrong username or password.'
        : response.status === 429 ? `Too many attempts. Try again in ${response.headers.get('Retry-After') || 'a few'} s.`
          : body.detail || `Sign-in failed (${response.status}).`;
      showLogin(message);
      return;
    }
    $('login-password').value = '';
    sessionStorage.setItem(TOKEN_KEY, body.access_token);
    signedIn(body.access_token, claimsOf(body.access_token));
  } catch (e) {
    showLogin('The service cannot be reached.');
  } finally {
    button.disabled = false;
  }
}

function signedIn(token, claims) {
  state.token = token;
  state.user = claims.sub;
  state.admin = claims.role === 'admin';
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('whoami-name').textContent = state.user;
  $('whoami-role').textContent = state.admin ? 'admin' : 'user';
  $('whoami').hidden = false;
  $('logout').hidden = false;
  document.body.classList.toggle('admin', state.admin);
  $('calls-empty').textContent = state.admin ? 'No calls yet.' : 'No calls yet. Place one with the form on the left.';
  renderFilters();
  connectBus();
  loadCalls();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.bus) {
    state.bus.close();
    state.bus = null;
  }
  state.token = null;
  state.calls.clear();
  state.rows.clear();
  state.selected = null;
  state.listLoaded = false;
  $('calls-body').replaceChildren();
  showTimeline(null);
  showLogin(message);
}

// ----------------------------------------------------------------------------------------------- live updates

function connectBus() {
  const address = state.admin ? 'calls.status.all' : `calls.status.owner.${state.user}`;
  state.bus = new EventBusClient('/eventbus', {
    token: state.token,
    onState: renderConnection,
    // After a reconnection (a service restart, a network blip) changes may have been missed: list again.
    onOpen: () => { if (state.listLoaded) { loadCalls(); } },
    onAuthFailure: (reason) => signOut(AUTH_MESSAGES[reason] || 'Signed out.'),
    onError: (reason) => console.warn('event bus bridge refused a frame:', reason),
  });
  state.bus.subscribe(address, onStatusChanged);
  state.bus.connect();
}

function onStatusChanged(change) {
  upsert(change, true);
  if (state.selected === change.call_id) {
    // Shown at once from the event, then replaced by the stored timeline (which also names each step's source).
    const events = state.timeline.callId === change.call_id ? state.timeline.events : [];
    if (!events.some((e) => e.to_status === change.status)) {
      showTimeline(state.calls.get(change.call_id),
        [...events, { from_status: change.previous_status, to_status: change.status, at: change.at, source: '' }]);
    }
    loadTimeline(change.call_id);
  }
}

let countdown = null;
function renderConnection(connectionState, detail) {
  const pill = $('connection');
  const text = $('connection-text');
  clearInterval(countdown);
  pill.dataset.state = connectionState;
  if (connectionState === 'open') {
    text.textContent = 'Live';
  } else if (connectionState === 'connecting') {
    text.textContent = 'Connecting…';
  } else if (connectionState === 'reconnecting' && detail.retryAt) {
    const show = () => {
      const seconds = Math.max(0, Math.ceil((detail.retryAt - Date.now()) / 1000));
      text.textContent = seconds > 0 ? `Offline · retrying in ${seconds} s` : 'Reconnecting…';
    };
    show();
    countdown = setInterval(show, 250);
  } else if (connectionState === 'reconnecting') {
    text.textContent = 'Reconnecting…';
  } else {
    text.textContent = 'Not connected';
  }
}

// ------------------------------------------------------------------------------------------------------ calls

async function api(path, options = {}) {
  const response = await fetch(path, {
    method: options.method || 'GET',
    headers: Object.assign({ Authorization: `Bearer ${state.token}` },
      options.body ? { 'Content-Type': 'application/json' } : {}),
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut(AUTH_MESSAGES.invalid_token);
    throw new Error('unauthorized');
  }
  return { status: response.status, ok: response.ok, body };
}

async function loadCalls(cursor) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) {
    query.set('cursor', cursor);
  }
  try {
    const { ok, body } = await api(`/api/v2/calls?${query}`);
    if (!ok) {
      return;
    }
    body.items.forEach((call) => upsert(call, false));
    if (cursor || !state.listLoaded) {
      state.nextCursor = body.next_cursor;
    }
    state.listLoaded = true;
    render();
  } catch (e) {
    // Offline: the connection pill says so, and the list is loaded again on reconnection.
  }
}

/** Merges a call (from the list, a creation answer or a bridge event), never moving its status backwards. */
function upsert(call, flash) {
  const known = state.calls.get(call.call_id);
  if (known && RANK[call.status] < RANK[known.status]) {
    return;
  }
  const merged = Object.assign({}, known, call);
  state.calls.set(call.call_id, merged);
  render();
  if (flash && (!known || known.status !== merged.status)) {
    const row = state.rows.get(call.call_id);
    if (row) {
      row.classList.remove('flash');
      void row.offsetWidth;
      row.classList.add('flash');
    }
  }
}

async function onPlaceCall(event) {
  event.preventDefault();
  const body = { phone_number: $('call-number').value.trim() };
  for (const [field, id] of [['context', 'call-context'], ['extension', 'call-extension'], ['caller_id', 'call-callerid']]) {
    const value = $(id).value.trim();
    if (value) {
      body[field] = value;
    }
  }
  const button = $('call-submit');
  button.disabled = true;
  try {
    const { ok, status, body: answer } = await api('/api/v2/calls', { method: 'POST', body });
    if (ok) {
      showCallResult(`Call placed to ${answer.phone_number}.`, false);
      upsert({ call_id: answer.call_id, phone_number: answer.phone_number, status: answer.status,
        owner: state.user, created_at: answer.created_at }, false);
      select(answer.call_id);
    } else {
      const fields = (answer.errors || []).map((e) => `${e.field}: ${e.message}`).join('; ');
      showCallResult(fields || answer.detail || `The call was refused (${status}).`, true);
      if (answer.call_id) {
        loadCalls();
      }
    }
  } catch (e) {
    showCallResult('The service cannot be reached.', true);
  } finally {
    button.disabled = false;
  }
}

function showCallResult(message, error) {
  const result = $('call-result');
  result.textContent = message;
  result.classList.toggle('error', error);
  result.hidden = false;
}

// ----------------------------------------------------------------------------------------------------- render

function visible(call) {
  if (state.filter === 'all') {
    return true;
  }
  if (state.filter === 'active') {
    return isActive(call);
  }
  return call.status === state.filter;
}

function render() {
  renderFilters();
  const body = $('calls-body');
  const calls = [...state.calls.values()].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  const shown = calls.filter(visible);
  const rows = shown.map((call) => {
    let row = state.rows.get(call.call_id);
    if (!row) {
      row = createRow(call.call_id);
      state.rows.set(call.call_id, row);
    }
    fillRow(row, call);
    return row;
  });
  // Re-inserting a row would replay its highlight: only touch the DOM when the order changed.
  if (rows.length !== body.rows.length || rows.some((row, i) => body.rows[i] !== row)) {
    body.replaceChildren(...rows);
  }
  const empty = $('calls-empty');
  empty.hidden = shown.length > 0;
  if (calls.length > 0 && shown.length === 0) {
    empty.textContent = `No ${state.filter === 'active' ? 'active' : STATUS_LABELS[state.filter].toLowerCase()} calls.`;
  } else if (calls.length === 0) {
    empty.textContent = state.admin ? 'No calls yet.' : 'No calls yet. Place one with the form on the left.';
  }
  $('calls-summary').textContent = calls.length === 0 ? ''
    : `${shown.length} of ${calls.length} call${calls.length === 1 ? '' : 's'} shown`;
  $('load-more').hidden = !state.nextCursor;
}

function createRow(callId) {
  const row = document.createElement('tr');
  row.dataset.callId = callId;
  row.tabIndex = 0;
  for (const name of ['number', 'status', 'owner', 'placed', 'duration', 'outcome']) {
    const cell = document.createElement('td');
    cell.className = `cell-${name}`;
    row.appendChild(cell);
  }
  row.cells[2].classList.add('owner-col');
  row.cells[4].classList.add('num');
  row.addEventListener('animationend', () => row.classList.remove('flash'));
  row.addEventListener('click', () => select(callId));
  row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(callId); } });
  return row;
}

function fillRow(row, call) {
  row.dataset.status = call.status;
  row.classList.toggle('selected', state.selected === call.call_id);
  const [number, status, owner, placed, duration, outcome] = row.cells;
  number.textContent = call.phone_number || '';
  status.replaceChildren(badge(call.status));
  owner.textContent = call.owner || '';
  placed.textContent = formatTime(call.created_at, false);
  placed.title = call.created_at || '';
  duration.dataset.since = call.status === 'answered' && call.answered_at ? call.answered_at : '';
  duration.textContent = formatDuration(call);
  outcome.textContent = outcomeOf(call);
}

function badge(status) {
  const span = document.createElement('span');
  span.className = `badge status-${status}`;
  span.textContent = STATUS_LABELS[status] || status;
  return span;
}

function renderFilters() {
  const counts = { all: state.calls.size, active: 0 };
  for (const call of state.calls.values()) {
    counts[call.status] = (counts[call.status] || 0) + 1;
    if (isActive(call)) {
      counts.active += 1;
    }
  }
  const bar = $('filters');
  if (bar.childElementCount === 0) {
    for (const [key, label] of FILTERS) {
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.className = `chip chip-${key}`;
      chip.dataset.filter = key;
      const name = document.createElement('span');
      name.textContent = label;
      const count = document.createElement('span');
      count.className = 'count';
      chip.append(name, count);
      chip.addEventListener('click', () => { state.filter = key; render(); });
      bar.appendChild(chip);
    }
  }
  for (const chip of bar.children) {
    const key = chip.dataset.filter;
    chip.querySelector('.count').textContent = String(counts[key] || 0);
    chip.classList.toggle('zero', !counts[key]);
    chip.setAttribute('aria-pressed', String(state.filter === key));
  }
}

function outcomeOf(call) {
  return [attemptOf(call), endOf(call)].filter(Boolean).join(' · ');
}

// Retried calls: which attempt this is, and for a queued one when it is due.
function attemptOf(call) {
  const attempt = call.attempt_number > 1 ? `Attempt ${call.attempt_number}` : '';
  if (call.status === 'queued' && call.not_before && Date.parse(call.not_before) > Date.now()) {
    return `${attempt || 'Queued'} at ${formatTime(call.not_before, false)}`;
  }
  return attempt;
}

function endOf(call) {
  if (call.failure_reason) {
    return call.failure_reason;
  }
  if (call.hangup_cause_text && !isActive(call)) {
    return `Hangup: ${call.hangup_cause_text}`;
  }
  return '';
}

function formatDuration(call) {
  if (call.duration !== null && call.duration !== undefined) {
    return formatSeconds(call.duration);
  }
  if (call.status === 'answered' && call.answered_at) {
    return formatSeconds(Math.max(0, Math.floor((Date.now() - Date.parse(call.answered_at)) / 1000)));
  }
  return '—';
}

function formatSeconds(total) {
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return minutes > 0 ? `${minutes} min ${String(seconds).padStart(2, '0')} s` : `${seconds} s`;
}

function tickDurations() {
  for (const cell of document.querySelectorAll('#calls-body td[data-since]')) {
    if (cell.dataset.since) {
      cell.textContent = formatSeconds(Math.max(0, Math.floor((Date.now() - Date.parse(cell.dataset.since)) / 1000)));
    }
  }
}

function formatTime(iso, withMillis) {
  if (!iso) {
    return '';
  }
  const at = new Date(iso);
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const millis = withMillis ? `.${String(at.getMilliseconds()).padStart(3, '0')}` : '';
  const now = new Date();
  const today = at.toDateString() === now.toDateString();
  const date = at.getFullYear() === now.getFullYear()
    ? at.toLocaleDateString([], { month: 'short', day: 'numeric' })
    : at.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
  return today ? time + millis : `${date} ${time}${millis}`;
}

// --------------------------------------------------------------------------------------------------- timeline

function select(callId) {
  state.selected = callId;
  render();
  loadTimeline(callId);
}

async function loadTimeline(callId) {
  const path = `/api/v2/calls/${encodeURIComponent(callId)}`;
  try {
    const [call, timeline, webhooks] = await Promise.all([api(path), api(`${path}/events`), api(`${path}/webhooks`)]);
    if (call.ok) {
      upsert(call.body, false);
    }
    // An answer overtaken by a newer event (answers may arrive out of order) must not take steps away.
    const shown = state.timeline.callId === callId ? state.timeline.events.length : 0;
    if (timeline.ok && state.selected === callId && timeline.body.events.length >= shown) {
      showTimeline(state.calls.get(callId), timeline.body.events);
    }
    if (webhooks.ok && state.selected === callId) {
      showWebhooks(webhooks.body.items || []);
    }
  } catch (e) {
    // Offline: kept as it was.
  }
}

function showTimeline(call, events) {
  $('timeline-empty').hidden = !!call;
  $('timeline-body').hidden = !call;
  state.timeline = { callId: call ? call.call_id : null, events: events || [] };
  if (!call) {
    $('timeline').replaceChildren();
    return;
  }
  $('timeline-number').textContent = call.phone_number || '';
  const status = $('timeline-status');
  status.className = `badge status-${call.status}`;
  status.textContent = STATUS_LABELS[call.status] || call.status;
  const first = events.length ? Date.parse(events[0].at) : 0;
  $('timeline').replaceChildren(...events.map((event) => {
    const item = document.createElement('li');
    item.className = `step step-${event.to_status}`;
    const label = document.createElement('span');
    label.className = 'step-status';
    label.textContent = STATUS_LABELS[event.to_status] || event.to_status;
    const when = document.createElement('span');
    when.className = 'step-time mono';
    when.textContent = formatTime(event.at, true);
    const offset = document.createElement('span');
    offset.className = 'step-offset mono';
    offset.textContent = `+${((Date.parse(event.at) - first) / 1000).toFixed(1)} s`;
    const source = document.createElement('span');
    source.className = 'step-source';
    source.textContent = event.source;
    item.append(label, offset, when, source);
    return item;
  }));
  const facts = [
    ['Call id', call.call_id], ['Owner', call.owner],
    ['Dialplan', call.context ? `${call.context}, ${call.extension}, ${call.priority}` : null],
    ['Caller id', call.caller_id], ['Duration', call.duration != null ? formatSeconds(call.duration) : null],
    ['Hangup cause', call.hangup_cause != null ? `${call.hangup_cause} ${call.hangup_cause_text || ''}` : null],
    ['Failure', call.failure_reason],
  ].filter(([, value]) => value);
  $('timeline-facts').replaceChildren(...facts.flatMap(([term, value]) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    if (term === 'Call id') {
      dd.className = 'mono';
    }
    return [dt, dd];
  }));
}

// The call's webhook deliveries (GET /api/v2/calls/{id}/webhooks): what was sent where, and how it went.
function showWebhooks(deliveries) {
  $('timeline-webhooks-title').hidden = deliveries.length === 0;
  $('timeline-webhooks').replaceChildren(...deliveries.map((delivery) => {
    const item = document.createElement('li');
    item.className = `webhook webhook-${delivery.state}`;
    const status = document.createElement('span');
    status.className = 'webhook-status';
    status.textContent = STATUS_LABELS[delivery.status] || delivery.status;
    const target = document.createElement('span');
    target.className = 'webhook-target mono';
    try {
      target.textContent = new URL(delivery.url).host;
    } catch (e) {
      target.textContent = delivery.url;
    }
    target.title = delivery.url;
    const outcome = document.createElement('span');
    outcome.className = 'webhook-outcome';
    const code = delivery.last_status_code != null ? ` ${delivery.last_status_code}` : '';
    const tries = delivery.attempts === 1 ? '1 attempt' : `${delivery.attempts} attempts`;
    outcome.textContent = `${delivery.state}${code}, ${tries}`;
    if (delivery.last_error) {
      outcome.title = delivery.last_error;
    }
    item.append(status, target, outcome);
    return item;
  }));
}

start();
