// A small client of the Vert.x SockJS event-bus bridge, written for this dashboard.
//
// The bridge speaks JSON frames over a SockJS socket (vertx-web documentation, "SockJS event bus bridge"):
//   client -> server  {"type":"register","address":A,"headers":{...}}  {"type":"unregister","address":A}  {"type":"ping"}
//   server -> client  {"type":"rec","address":A,"body":{...}}          {"type":"err","body":"<reason>"}
//                     {"type":"registered","body":A}  (this service's acknowledgement of a register)
// The bridge closes a socket that has not pinged for a minute, so the client pings every 20 s. This service's bridge
// authenticates a socket with the first register frame's "Authorization: Bearer <token>" header, and closes it
// with an err frame first when the token is refused or expires (see README, "Live dashboard and event-bus bridge").

const AUTH_FAILURES = new Set(['auth_required', 'invalid_token', 'token_expired', 'user_disabled']);

export class EventBusClient {
  /**
   * @param {string} url          the bridge's SockJS URL, e.g. '/eventbus'
   * @param {object} options
   *   token            access token of /api/v2/token
   *   onState(state, detail)  'connecting' | 'open' | 'reconnecting' (detail.retryAt) | 'closed' (detail.reason)
   *                    'open' means every subscription is acknowledged: messages flow from then on
   *   onOpen()         after each (re)connection, once every subscription is acknowledged again
   *   onError(reason)  an err frame that does not close the socket (e.g. 'rejected' for a refused register)
   *   onAuthFailure(reason)  the bridge refused the token: no reconnection
   */
  constructor(url, options = {}) {
    this.url = url;
    this.token = options.token;
    this.onState = options.onState || (() => {});
    this.onOpen = options.onOpen || (() => {});
    this.onError = options.onError || (() => {});
    this.onAuthFailure = options.onAuthFailure || (() => {});
    this.pingIntervalMs = options.pingIntervalMs || 20000;
    this.minDelayMs = options.minDelayMs || 500;
    this.maxDelayMs = options.maxDelayMs || 10000;
    this.handlers = new Map();
    this.acknowledged = new Set();
    this.socket = null;
    this.pinger = null;
    this.retryTimer = null;
    this.attempts = 0;
    this.stopped = false;
    this.state = 'closed';
  }

  /** Calls handler(body, address) for every message on the address, across reconnections. */
  subscribe(address, handler) {
    this.handlers.set(address, handler);
    this.send({ type: 'register', address, headers: this.authHeaders() });
  }

  unsubscribe(address) {
    if (this.handlers.delete(address)) {
      this.send({ type: 'unregister', address });
    }
  }

  connect() {
    this.stopped = false;
    this.open();
  }

  /** Closes for good (logout): no reconnection. */
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.teardown();
    this.setState('closed', { reason: 'closed' });
  }

  open() {
    this.teardown();
    this.setState(this.attempts === 0 ? 'connecting' : 'reconnecting', {});
    const socket = new SockJS(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.acknowledged.clear();
      for (const address of this.handlers.keys()) {
        this.send({ type: 'register', address, headers: this.authHeaders() });
      }
      this.pinger = setInterval(() => this.send({ type: 'ping' }), this.pingIntervalMs);
      this.checkOpen();
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => {
      if (socket !== this.socket) {
        return;
      }
      this.teardown();
      if (!this.stopped) {
        this.scheduleReconnect();
      }
    };
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (frame.type === 'rec') {
      const handler = this.handlers.get(frame.address);
      if (handler) {
        handler(frame.body, frame.address);
      }
    } else if (frame.type === 'registered') {
      this.acknowledged.add(frame.body);
      this.checkOpen();
    } else if (frame.type === 'err') {
      if (AUTH_FAILURES.has(frame.body)) {
        this.stopped = true;
        this.setState('closed', { reason: frame.body });
        this.onAuthFailure(frame.body);
      } else {
        if (this.state !== 'open') {
          this.setState('closed', { reason: frame.body });
        }
        this.onError(frame.body);
      }
    }
  }

  /** Open (live) once the socket is up and the service acknowledged every subscription. */
  checkOpen() {
    const ready = [...this.handlers.keys()].every((address) => this.acknowledged.has(address));
    if (ready && this.state !== 'open' && this.socket && this.socket.readyState === SockJS.OPEN) {
      this.setState('open', {});
      this.onOpen();
    }
  }

  scheduleReconnect() {
    const backoff = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** this.attempts);
    const delay = Math.round(backoff / 2 + Math.random() * backoff / 2);
    this.attempts += 1;
    this.setState('reconnecting', { retryAt: Date.now() + delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  send(frame) {
    if (this.socket && this.socket.readyState === SockJS.OPEN) {
      this.socket.send(JSON.stringify(frame));
    }
  }

  authHeaders() {
    return this.token ? { Authorization: 'Bearer ' + this.token } : {};
  }

  teardown() {
    clearInterval(this.pinger);
    this.pinger = null;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.onopen = socket.onmessage = socket.onclose = null;
      if (socket.readyState === SockJS.CONNECTING || socket.readyState === SockJS.OPEN) {
        socket.close();
      }
    }
  }

  setState(state, detail) {
    this.state = state;
    this.onState(state, detail);
  }
}
