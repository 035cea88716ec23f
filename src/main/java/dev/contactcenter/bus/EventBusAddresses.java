package dev.contactcenter.bus;

/**
 * Every event-bus address of the service, in one place. Dotted lower case, subject first.
 * {@code db.*} are request/reply to the persistence verticle, {@code ari.*} request/reply to the ARI verticle,
 * {@code calls.status.*} are publications (the browser bridge may let clients listen to those and nothing else).
 */
public final class EventBusAddresses {

  public static final String DB_PING = "db.ping";

  public static final String USERS_FIND = "db.users.find";
  public static final String USERS_CREATE = "db.users.create";
  public static final String USERS_LIST = "db.users.list";
  public static final String USERS_BOOTSTRAP_ADMIN = "db.users.bootstrap-admin";
  /** Changes a user's state, role or limits: {@code {username, disabled?, role?, limits?}}; 409 for the last admin. */
  public static final String USERS_UPDATE = "db.users.update";
  /** Replaces a user's password hash: {@code {username, password_hash}}. */
  public static final String USERS_SET_PASSWORD = "db.users.set-password";
  /** Published after a user is created or changed: the user as the API shows it ({@code username, role, disabled...}). */
  public static final String USERS_CHANGED = "users.changed";

  /**
   * Counts one request against a cluster-wide sliding window: {@code {key, limit, window_seconds}} answered with
   * {@code {wait_seconds}} (0: allowed and counted).
   */
  public static final String RATE_ACQUIRE = "db.rate.acquire";

  /**
   * Admits (the owner's limits, defaults in {@code limits: {concurrent_calls, calls_per_day}}) and stores a call:
   * {@code {created, call?, queue_position?, refused?: {limit, limit_value, retry_after}}}.
   */
  public static final String CALLS_CREATE = "db.calls.create";
  /**
   * {@code {owner, idempotency_key, request_hash}} → {@code {created: false, call}} for the call an earlier request
   * with this owner and key made, or {@code {}} when there is none; fails 422 when that request had another body.
   */
  public static final String CALLS_REPLAY = "db.calls.replay";
  public static final String CALLS_GET = "db.calls.get";
  public static final String CALLS_LIST = "db.calls.list";
  public static final String CALLS_EVENTS = "db.calls.events";
  public static final String CALLS_TRANSITION = "db.calls.transition";
  /**
   * Calls in progress; with {@code {server}}, that server's only. With {@code limit} too, one page of them in
   * (created_at, call_id) order, after {@code after_created_at}/{@code after_call_id} when given: the reconciler
   * reads 100,000 active calls a page at a time, never holding the persistence loop for all of them at once.
   */
  public static final String CALLS_ACTIVE = "db.calls.active";
  /**
   * {@code {server, epoch}} → {@code {due_in_ms}}: in how many ms the last call of the server marked sent by an earlier
   * owner (an epoch below {@code epoch}) joins {@link #CALLS_ACTIVE}; null when there is none.
   */
  public static final String CALLS_MARKED_EARLIER = "db.calls.marked-earlier";
  /**
   * Each Asterisk server's load as the database sees it: {@code {items:[{server, owned, owner_node, active}]}} with
   * {@code owned} true while some node holds its ownership lock. Read every second by each node's server directory.
   */
  public static final String SERVERS_LOAD = "db.servers.load";

  /** Webhook subscriptions, secrets and the delivery outbox ({@code dev.contactcenter.webhooks}). */
  public static final String WEBHOOKS_CREATE = "db.webhooks.create";
  public static final String WEBHOOKS_LIST = "db.webhooks.list";
  public static final String WEBHOOKS_GET = "db.webhooks.get";
  public static final String WEBHOOKS_DELETE = "db.webhooks.delete";
  public static final String WEBHOOKS_UPDATE = "db.webhooks.update";
  public static final String WEBHOOKS_ROTATE = "db.webhooks.rotate";
  public static final String WEBHOOKS_DELIVERIES = "db.webhooks.deliveries";
  public static final String WEBHOOKS_RETRY = "db.webhooks.retry";
  public static final String WEBHOOKS_CALL_DELIVERIES = "db.webhooks.call-deliveries";
  public static final String WEBHOOKS_USER_SECRET = "db.webhooks.user-secret";
  public static final String WEBHOOKS_USER_SECRET_ROTATE = "db.webhooks.user-secret-rotate";
  public static final String WEBHOOKS_CLAIM = "db.webhooks.claim";
  public static final String WEBHOOKS_RECORD = "db.webhooks.record";
  public static final String WEBHOOKS_STATS = "db.webhooks.stats";
  /** Published (local) when the database notifies new deliveries; wakes the relay. */
  public static final String WEBHOOKS_DUE = "webhooks.due";

  /**
   * The queue of calls ({@code dev.contactcenter.dispatch}): take due calls of a server off the queue
   * {@code {server, limit}} → {@code {items:[call + variables], next_due_ms}}; mark one as about to be dialled
   * {@code {call_id}} → {@code {sent}}; put back calls taken by a claimer that died {@code {server, older_than_ms}};
   * end expired ones {@code {server}}; per-server figures {@code {}} → {@code {servers:[...]}}.
   */
  public static final String DISPATCH_CLAIM = "db.dispatch.claim";
  public static final String DISPATCH_MARK_SENT = "db.dispatch.mark-sent";
  /** Cancels a call not sent yet (queued, or taken and not marked): {@code {call_id}} → {@code {canceled, call?}}. */
  public static final String DISPATCH_CANCEL = "db.dispatch.cancel";
  public static final String DISPATCH_REQUEUE = "db.dispatch.requeue";
  public static final String DISPATCH_EXPIRE = "db.dispatch.expire";
  public static final String DISPATCH_STATS = "db.dispatch.stats";
  /** Prefix of a server's dispatcher addresses: {@link #dispatchAdmitOn(String)}, {@link #dispatchWakeOn(String)}. */
  public static final String DISPATCH_PREFIX = "dispatch.";

  public static final String ARI_ORIGINATE = "ari.calls.originate";
  public static final String ARI_HANGUP = "ari.calls.hangup";
  public static final String ARI_STATUS = "ari.status";

  /**
   * This node's ownership of each Asterisk server: {@code {node, servers:[{server, role, epoch}]}} with role
   * owner/standby/unowned; answered on the local node only.
   */
  public static final String CLUSTER_OWNERSHIP = "cluster.ownership";

  /**
   * Published by every node each second while ownership is balanced, to all nodes:
   * {@code {node, owned, can_own}} (servers it owns; whether its ownership attempts reach the database).
   */
  public static final String CLUSTER_OWNERSHIP_LOAD = "cluster.ownership.load";

  /**
   * Published by a node that just handed a server over or, stopping, gave it up, to all nodes:
   * {@code {node, server, leaving}} (leaving: the node is stopping).
   */
  public static final String CLUSTER_SERVER_RELEASED = "cluster.ownership.released";

  /** This node's name and the cluster members it sees; answered on the local node only. */
  public static final String CLUSTER_STATUS = "cluster.status";

  /** Every accepted call state transition ({@link CallStatusChanged}), for all owners. */
  public static final String CALL_STATUS_ALL = "calls.status.all";
  /**
   * The publications of {@link #CALL_STATUS_ALL} that end a call (a final status), for the consumers that act on a
   * call's end only: the bus copies a publication for each local consumer, so on the all-transitions address they
   * paid a copy of every transition. Only the fields they read ({@link CallStatusChanged#ended}).
   */
  public static final String CALL_STATUS_ENDED = "calls.status.ended";
  /** Prefix of the per-owner transition address; see {@link #callStatusOf(String)}. */
  public static final String CALL_STATUS_OWNER_PREFIX = "calls.status.owner.";

  private EventBusAddresses() {
  }

  /** Originate on one Asterisk server: consumed only by the node that owns that server (cluster-wide). */
  public static String ariOriginateOn(String server) {
    return ARI_ORIGINATE + "." + server;
  }

  /** Hang up a call of one Asterisk server: consumed only by the node that owns that server (cluster-wide). */
  public static String ariHangupOn(String server) {
    return ARI_HANGUP + "." + server;
  }

  /** One Asterisk server's ARI status, answered by its owner. */
  public static String ariStatusOf(String server) {
    return ARI_STATUS + "." + server;
  }

  /**
   * Asks the dispatcher of a server (on its owner) whether a new call may be dialled now: {@code {}} →
   * {@code {admit: bool}}; an admitted call has its slot reserved.
   */
  public static String dispatchAdmitOn(String server) {
    return DISPATCH_PREFIX + "admit." + server;
  }

  /** Tells the dispatcher of a server that calls were queued. */
  public static String dispatchWakeOn(String server) {
    return DISPATCH_PREFIX + "wake." + server;
  }

  /** The address on which one user's call transitions are published. */
  public static String callStatusOf(String owner) {
    return CALL_STATUS_OWNER_PREFIX + owner;
  }
}
