import { Client, type Dispatcher } from 'undici';

/** A request of the engine as the pool sees it: an undici handler that says when it is done. */
export interface PooledExchange extends Dispatcher.DispatchHandler {
  /** The connection carrying it; set by the pool when the request goes out. */
  connection: Connection | undefined;
  /** `performance.now()` when it started waiting for a connection; set by the pool. */
  waitingSince: number;
  /** `true` once finished (a waiting exchange may time out before it gets a connection). */
  readonly settled: boolean;
  readonly dispatchOptions: Dispatcher.DispatchOptions;
}

export interface ConnectionPoolOptions {
  /** Most connections open at once. */
  maxConnections: number;
  /**
   * Most connections being opened at once. A request that finds every connection busy waits for the
   * first to free up or to open, so a short hiccup (a GC pause, a late timer) cannot make the pool
   * open hundreds of connections at once — which costs more time than it saves, makes the next
   * hiccup worse, and leaves hundreds of sockets in memory.
   */
  maxConnecting: number;
  /** A connection idle this long is closed. */
  idleTimeoutMs: number;
  /**
   * A request that may not open a connection opens one anyway when the oldest waiting request has
   * waited this long: the busy connections are not keeping up, so the backlog is not a blip.
   * @defaultValue 10
   */
  openAfterWaitMs?: number;
  /** Options of each connection (timeouts). */
  client?: Client.Options;
}

/** One connection: an undici Client with pipelining 1. */
export interface Connection {
  readonly client: Client;
  /** `performance.now()` when it last went idle. */
  idleSince: number;
}

/**
 * The open engine's connections. undici's Pool opens a new connection for every request that finds
 * all of them busy; under an open model that turns every pause of the generator (a GC pause, a late
 * timer) into a burst of connects — 1 000 sockets within a second at 29 000 req/s here — which costs
 * more time than it saves, makes the next pause worse, and keeps the sockets' memory. Here the
 * engine says per request whether it may open a connection (it may not when the request is late
 * because the generator fell behind: existing connections catch up faster than new ones open —
 * unless requests have been waiting for `openAfterWaitMs`, when they evidently do not), at
 * most `maxConnecting` open at once, the most recently used idle connection is reused first (so the
 * cold ones age out) and connections idle for `idleTimeoutMs` are closed.
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

  constructor(origin: string, options: ConnectionPoolOptions) {
    this.#origin = origin;
    this.#options = options;
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
   * Sends `exchange` on an idle connection, else on a new one when `mayOpen` (and the limits allow),
   * else on the first connection to free up or open (oldest waiting first).
   */
  send(exchange: PooledExchange, mayOpen = true): void {
    let connection = this.#idle.pop();
    if (!connection && (mayOpen || this.#oldestWaitMs() >= (this.#options.openAfterWaitMs ?? 10))) {
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
      exchange.waitingSince = performance.now();
      this.#waiting.push(exchange);
    }
  }

  #oldestWaitMs(): number {
    const oldest = this.#peekWaiting();
    return oldest ? performance.now() - oldest.waitingSince : 0;
  }

  /** `exchange` is done: its connection takes the next waiting exchange, or goes idle. */
  release(exchange: PooledExchange): void {
    const connection = exchange.connection;
    if (!connection) return;
    exchange.connection = undefined;
    if (this.#destroyed || !this.#all.has(connection)) return;
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
    for (const connection of this.#idle.splice(0, stale)) {
      this.#all.delete(connection);
      connection.client.close().catch(() => {});
    }
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
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }

  /** A new connection, unless at `maxConnections` or `maxConnecting` connects are under way. */
  #open(): Connection | undefined {
    if (this.#destroyed) return undefined;
    if (this.#all.size >= this.#options.maxConnections) return undefined;
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
