/**
 * A TCP proxy that can make what is behind it stall: connections stay open but no byte goes through
 * in either direction (as with a hung server, a full disk or a lost network path without resets), new
 * connections are accepted and get no answer. heal() delivers everything held, in order, and forwards
 * again. For PostgreSQL outages the driver cannot tell from a slow server.
 */
import net from 'node:net';

interface Direction {
  held: Buffer[];
  ended: boolean;
}

export class StallableProxy {
  readonly #server: net.Server;
  readonly #flushers = new Set<() => void>();
  readonly #sockets = new Set<net.Socket>();
  #stalled = false;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  /** Listens on a free loopback port and forwards to `target`. */
  static async start(target: { host: string; port: number }): Promise<StallableProxy> {
    const server = net.createServer();
    const proxy = new StallableProxy(server);
    server.on('connection', (client) => proxy.#accept(client, target));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  stall(): void {
    this.#stalled = true;
  }

  heal(): void {
    this.#stalled = false;
    for (const flush of this.#flushers) flush();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket, target: { host: string; port: number }): void {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      // An error on either side ends both, as a real broken path would (only while forwarding).
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const flushUp = this.#forward(client, upstream);
    const flushDown = this.#forward(upstream, client);
    const flush = () => {
      flushUp();
      flushDown();
    };
    this.#flushers.add(flush);
    client.on('close', () => this.#flushers.delete(flush));
  }

  /** Forwards `from` → `to` unless stalled; returns what delivers the held bytes (and end). */
  #forward(from: net.Socket, to: net.Socket): () => void {
    const direction: Direction = { held: [], ended: false };
    from.on('data', (chunk: Buffer) => {
      if (this.#stalled || direction.held.length > 0) direction.held.push(chunk);
      else to.write(chunk);
    });
    from.on('end', () => {
      if (this.#stalled || direction.held.length > 0) direction.ended = true;
      else to.end();
    });
    return () => {
      if (to.destroyed) return;
      for (const chunk of direction.held.splice(0)) to.write(chunk);
      if (direction.ended) to.end();
    };
  }
}
