/**
 * A TCP proxy between a browser and signaling, for network faults on one page's socket only: its
 * connections can be cut (both ends see the TCP connection vanish, as when a network drops) or
 * blocked for a while (bytes stop flowing both ways, the connections stay open).
 */
import net from 'node:net';

export class TcpProxy {
  readonly #server: net.Server;
  readonly #pairs = new Set<[net.Socket, net.Socket]>();
  #blocked = false;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  /** Listens on a free port of 127.0.0.1 and forwards every connection to `targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => proxy.#connect(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Destroys every connection open now, both sides (RST, no WebSocket close frame). */
  cut(): number {
    const count = this.#pairs.size;
    for (const [client, upstream] of this.#pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.#pairs.clear();
    return count;
  }

  /** Stops forwarding in both directions for `ms`, then forwards what was held back. */
  async block(ms: number): Promise<void> {
    this.#blocked = true;
    for (const [client, upstream] of this.#pairs) {
      client.pause();
      upstream.pause();
    }
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.#blocked = false;
    for (const [client, upstream] of this.#pairs) {
      client.resume();
      upstream.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #connect(client: net.Socket, targetPort: number): void {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.#pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    // After pipe(), which resumes its source: a pause before it would be undone, and a connection
    // opened while blocked would go through.
    if (this.#blocked) {
      client.pause();
      upstream.pause();
    }
    const drop = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }
}
