import { Client, type Dispatcher } from 'undici';
import { ConnectionLimit } from './connection-limit.ts';

/** A request of the engine as the pool sees it: an undici handler that says when it is done. */
export interface PooledExchange extends Dispatcher.DispatchHandler {
  /** The connection carrying it; set by the pool when the request goes out. */
  connection: Connection | undefined;
  /** `true` once finished (a waiting exchange may time out before it gets a connection). */
  readonly settled: boolean;
  readonly dispatchOptions: Dispatcher.DispatchOptions;
}

export interface ConnectionPoolOptions {
  /** Most connections open at once. */
  maxConnections: number;
  /**
   * Connections the pool may open before it has evidence that more would help: the starting limit of
   * its hill climber (`connection-limit.ts`). Equal to `maxConnections` (the default), the limit is
   * fixed — the closed model.
   */
  initialConnections?: number;
  /**
   * Most connections being opened at once. A request that finds every connection busy waits for the
   * first to free up or to open, so a short hiccup (a GC pause, a late timer) cannot make the pool
   * open hundreds of connections at once — which costs more time than it saves, makes the next
   * hiccup worse, and leaves hundreds of sockets in memory.
   */
  maxConnecting: number;
  /** A connection idle this long is closed. */
  idleTimeoutMs: number;
  /** Options of each connection (timeouts). */
  client?: Client.Options;
}

/** A measurement window of the limit lasts at least this long... */
const WINDOW_MS = 200;
/**
 * ...and until this many requests completed in it, and two per connection the limit allows (so a
 * window outlasts a slow target's response time: a step's new connections complete nothing for one
 * response time), or until `MAX_WINDOW_MS` passed.
 */
const WINDOW_COMPLETIONS = 50;
const MAX_WINDOW_MS = 2000;
/**
 * A window counts as constrained by the limit when requests waited at the limit for at least this
 * share of it: a burst after a GC pause, which the open connections clear in a few ms, does not.
 */
const CONSTRAINED_SHARE = 0.5;

/** One connection: an undici Client with pipelining 1. */
export interface Connection {
  readonly client: Client;
  /** `performance.now()` when it last went idle. */
  idleSince: number;
}

/**
 * The open engine's connections. undici's Pool opens a new connection for every request that finds
 * all of them busy; under an open model that turns every pause of the generator (a GC pause, a late
 * timer) or of the target (a cold start) into a burst of connects — 1 000 sockets within a second at
 * 30 000 req/s here — after which the client and the target, busier per request with 1 000 sockets,
 * no longer keep up with the rate, and the in-flight requests fill the old generation. Here the
 * number of connections is capped by a limit that grows only while growing raises throughput
 * (`ConnectionLimit`, fed by `adjust()`), at most `maxConnecting` open at once, the most recently used
 * idle connection is reused first (so the cold ones age out) and connections idle for
 * `idleTimeoutMs`, or beyond a lowered limit, are closed.
 *
 * A waiting request's latency still counts from its intended send time: the engine never hides the
 * wait (see load/README.md, "No coordinated omission").
 */
export class ConnectionPool {
  readonly #origin: string;
  readonly #options: ConnectionPoolOptions;
  /** Idle connections, most recently used last. */
  readonly #idle: Connection[] = [];
  /** Exchanges waiting for a connection, oldest first (`#head` is the next one). */
  #waiting: (PooledExchange | undefined)[] = [];
  #head = 0;
  readonly #all = new Set<Connection>();
  #connecting = 0;
  #destroyed = false;
  readonly #limit: ConnectionLimit;
  /** The current measurement window of the limit: its start and the requests completed in it. */
  #windowStart = performance.now();
  #completed = 0;
  /** Since when requests have waited for a connection while the pool was at its limit, if they do. */
  #backlogSince: number | undefined;
  /** Time of this window with such a backlog. */
  #backlogMs = 0;
  /** When a step up started waiting for its connects to finish. */
  #settlingSince: number | undefined;

  constructor(origin: string, options: ConnectionPoolOptions) {
    this.#origin = origin;
    this.#options = options;
    this.#limit = new ConnectionLimit({
      initial: options.initialConnections ?? options.maxConnections,
      max: options.maxConnections,
    });
  }

  /** Connections the pool may hold now. */
  get limit(): number {
    return this.#limit.value;
  }

  /** Open connections (busy, idle or connecting). */
  get size(): number {
    return this.#all.size;
  }

  /** Exchanges waiting for a connection. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /**
   * Sends `exchange` on an idle connection, else on a new one (if the limits allow), else on the first
   * connection to free up or open (oldest waiting first).
   */
  send(exchange: PooledExchange): void {
    let connection = this.#idle.pop();
    if (!connection) {
      connection = this.#open();
      // A new connection serves the longest-waiting request first; this one waits behind it.
      const oldest = connection && this.#nextWaiting();
      if (connection && oldest) {
        this.#dispatch(connection, oldest);
        connection = undefined;
      }
    }
    if (connection) this.#dispatch(connection, exchange);
    else {
      if (this.#backlogSince === undefined && this.#all.size >= this.#limit.value) {
        this.#backlogSince = performance.now();
      }
      this.#waiting.push(exchange);
    }
  }

  /** `exchange` is done: its connection takes the next waiting exchange, or goes idle. */
  release(exchange: PooledExchange): void {
    const connection = exchange.connection;
    if (!connection) return;
    exchange.connection = undefined;
    if (this.#destroyed || !this.#all.has(connection)) return;
    this.#completed++;
    if (this.#all.size > this.#limit.value) {
      this.#close(connection);
      return;
    }
    const next = this.#nextWaiting();
    if (next) this.#dispatch(connection, next);
    else {
      connection.idleSince = performance.now();
      this.#idle.push(connection);
    }
  }

  /** Closes connections idle longer than `idleTimeoutMs` (call it now and then). */
  closeIdle(now: number = performance.now()): void {
    let stale = 0;
    while (stale < this.#idle.length && now - this.#idle[stale]!.idleSince >= this.#options.idleTimeoutMs)
      stale++;
    for (const connection of this.#idle.splice(0, stale)) this.#close(connection);
  }

  /**
   * Feeds the connection limit (call it now and then, e.g. every 10–100 ms): when a measurement window
   * is complete, the limit moves, and idle connections beyond a lowered limit are closed.
   */
  adjust(now: number = performance.now()): void {
    if (this.#destroyed) return;
    this.#countBacklog(now);
    const duration = now - this.#windowStart;
    // A step up is measured from when its connections are open (connects take a while remotely).
    if (this.#limit.trying && this.#connecting > 0) {
      this.#settlingSince ??= now;
      if (now - this.#settlingSince < MAX_WINDOW_MS) {
        this.#startWindow(now);
        return;
      }
    }
    const enough = Math.max(WINDOW_COMPLETIONS, 2 * this.#limit.value);
    if (duration < WINDOW_MS || (this.#completed < enough && duration < MAX_WINDOW_MS)) return;
    const limit = this.#limit.update({
      now,
      durationMs: duration,
      completed: this.#completed,
      constrained: this.#backlogMs >= duration * CONSTRAINED_SHARE,
      open: this.#all.size,
    });
    while (this.#all.size > limit && this.#idle.length > 0) this.#close(this.#idle.shift()!);
    this.#settlingSince = undefined;
    this.#startWindow(now);
  }

  /** Adds the backlog's time up to `now` to this window; a backlog still on counts on from `now`. */
  #countBacklog(now: number): void {
    if (this.#backlogSince === undefined) return;
    this.#backlogMs += now - Math.max(this.#backlogSince, this.#windowStart);
    this.#backlogSince = now;
  }

  #endBacklog(): void {
    if (this.#backlogSince === undefined) return;
    this.#countBacklog(performance.now());
    this.#backlogSince = undefined;
  }

  #startWindow(now: number): void {
    this.#windowStart = now;
    this.#completed = 0;
    this.#backlogMs = 0;
  }

  #close(connection: Connection): void {
    this.#all.delete(connection);
    connection.client.close().catch(() => {});
  }

  async destroy(): Promise<void> {
    this.#destroyed = true;
    this.#waiting = [];
    this.#head = 0;
    this.#idle.length = 0;
    const clients = [...this.#all].map((c) => c.client);
    this.#all.clear();
    await Promise.all(clients.map((client) => client.destroy().catch(() => {})));
  }

  #dispatch(connection: Connection, exchange: PooledExchange): void {
    exchange.connection = connection;
    connection.client.dispatch(exchange.dispatchOptions, exchange);
  }

  /** The next unsettled waiting exchange, left in the queue (settled ones before it are dropped). */
  #peekWaiting(): PooledExchange | undefined {
    while (this.#head < this.#waiting.length) {
      const exchange = this.#waiting[this.#head];
      if (exchange && !exchange.settled) return exchange;
      this.#dropHead();
    }
    return undefined;
  }

  #nextWaiting(): PooledExchange | undefined {
    const exchange = this.#peekWaiting();
    if (exchange) this.#dropHead();
    return exchange;
  }

  #dropHead(): void {
    this.#waiting[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
      this.#endBacklog();
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }

  /** A new connection, unless at the limit or `maxConnecting` connects are under way. */
  #open(): Connection | undefined {
    if (this.#destroyed) return undefined;
    if (this.#all.size >= this.#limit.value) return undefined;
    if (this.#connecting >= this.#options.maxConnecting) return undefined;
    const client = new Client(this.#origin, { ...this.#options.client, pipelining: 1 });
    const connection: Connection = { client, idleSince: 0 };
    this.#all.add(connection);
    this.#connecting++;
    let counted = true;
    const connected = () => {
      if (!counted) return;
      counted = false;
      this.#connecting--;
    };
    client.once('connect', connected);
    client.once('connectionError', connected);
    return connection;
  }
}
