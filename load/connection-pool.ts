import { Client, type Dispatcher } from 'undici';

/** A request of the engine as the pool sees it: an undici handler that says when it is done. */
export interface PooledExchange extends Dispatcher.DispatchHandler {
  /** The connection carrying it; set by the pool when the request goes out. */
  connection: Connection | undefined;
  /** `true` once finished (a waiting exchange may time out before it gets a connection). */
  readonly settled: boolean;
  readonly dispatchOptions: Dispatcher.DispatchOptions;
}

export interface ConnectionPoolOptions {
  /** Most connections open at once (the open model: `maxInFlight`; closed: `connections`). */
  maxConnections: number;
  /** A connection idle this long is closed. */
  idleTimeoutMs: number;
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
 * The open engine's connections: one request per connection at a time. A request takes the most
 * recently used idle connection (so the cold ones age out and close after `idleTimeoutMs`); when
 * none is idle it gets a new connection at once, up to `maxConnections` — unless the engine says it
 * may not open one (an arrival the generator itself sent late, see open-engine.ts), in which case it
 * waits for the first connection to free up, oldest waiting first.
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
  #destroyed = false;
  /** When a connection was last released, or the queue last went from empty to waiting. */
  #lastProgress = performance.now();

  constructor(origin: string, options: ConnectionPoolOptions) {
    this.#origin = origin;
    this.#options = options;
  }

  /** Open connections (busy, idle or connecting). */
  get size(): number {
    return this.#all.size;
  }

  /** Idle connections (a request sent now takes one of them). */
  get idle(): number {
    return this.#idle.length;
  }

  /** Exchanges waiting for a connection. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /**
   * Sends `exchange` on an idle connection, else on a new one if `mayOpen` and `maxConnections`
   * allows, else on the first connection to free up (oldest waiting first).
   */
  send(exchange: PooledExchange, mayOpen = true): void {
    const connection = this.#idle.pop() ?? (mayOpen ? this.#open() : undefined);
    if (connection) this.#dispatch(connection, exchange);
    else {
      if (this.waiting === 0) this.#lastProgress = performance.now();
      this.#waiting.push(exchange);
    }
  }

  /**
   * When requests wait and no connection has freed up for `quietMs`, the connections are held by a
   * slow target, not by a burst they will clear: every waiting exchange gets a new connection (up
   * to `maxConnections`). `pausedMs`, how late the caller itself runs, is left out of that time: while
   * the generator's event loop stood still, no connection could free up whatever the target did.
   * Call it often (the engine: whenever its scheduler wakes).
   */
  openForWaiting(quietMs: number, pausedMs = 0, now: number = performance.now()): void {
    if (this.waiting === 0 || now - this.#lastProgress - pausedMs < quietMs) return;
    while (this.#all.size < this.#options.maxConnections) {
      const next = this.#nextWaiting();
      if (!next) return;
      const connection = this.#open()!;
      this.#dispatch(connection, next);
    }
  }

  /** `exchange` is done: its connection takes the next waiting exchange, or goes idle. */
  release(exchange: PooledExchange): void {
    const connection = exchange.connection;
    if (!connection) return;
    exchange.connection = undefined;
    if (this.#destroyed || !this.#all.has(connection)) return;
    this.#lastProgress = performance.now();
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

  /** The next unsettled waiting exchange, taken off the queue (settled ones before it are dropped). */
  #nextWaiting(): PooledExchange | undefined {
    while (this.#head < this.#waiting.length) {
      const exchange = this.#waiting[this.#head];
      this.#dropHead();
      if (exchange && !exchange.settled) return exchange;
    }
    return undefined;
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

  /** A new connection, unless `maxConnections` are open. */
  #open(): Connection | undefined {
    if (this.#destroyed || this.#all.size >= this.#options.maxConnections) return undefined;
    const connection: Connection = {
      client: new Client(this.#origin, { ...this.#options.client, pipelining: 1 }),
      idleSince: 0,
    };
    this.#all.add(connection);
    return connection;
  }
}
