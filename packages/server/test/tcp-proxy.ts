import net from 'node:net';

/**
 * How the proxy treats traffic:
 * - `pass`: forwards both ways (the healthy network);
 * - `stall`: stops reading both ways; bytes wait in the kernel and flow again on `pass`;
 * - `blackhole`: reads and drops everything both ways, new connections are accepted but never reach
 *   the upstream: TCP stays up, no data flows (a silent peer, a dead middlebox). On `pass`, a
 *   connection that lost bytes is reset, as TCP gives up on a connection whose data never got
 *   through; connections that lost nothing flow again;
 * - `reset`: resets every open connection, and every new one as it arrives.
 */
export type ProxyMode = 'pass' | 'stall' | 'blackhole' | 'reset';

/** A TCP proxy the test can cut and restore, to take a database or Redis away from a server. */
export interface TcpProxy {
  port: number;
  /** Closes the listener and every open connection: the upstream is "gone". */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Switches the fault mode of open and future connections (`pass` heals). */
  mode(mode: ProxyMode): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes were dropped in a blackhole: the stream can never be whole again. */
  lost: boolean;
  drop(): void;
}

export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let current: ProxyMode = 'pass';

  const apply = (pair: Pair) => {
    if (current === 'reset' || (current === 'pass' && pair.lost)) {
      pair.client.resetAndDestroy();
      pair.upstream?.resetAndDestroy();
      pair.drop();
      return;
    }
    if (current === 'pass' && !pair.upstream) connectUpstream(pair);
    for (const socket of [pair.client, pair.upstream]) {
      if (!socket) continue;
      // 'data' listeners keep a socket flowing; pause() stops reading until resume().
      if (current === 'stall') socket.pause();
      else socket.resume();
    }
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(upstreamPort, upstreamHost);
    pair.upstream = upstream;
    upstream.on('error', pair.drop).on('close', pair.drop);
    upstream.on('data', (d: Buffer) => {
      if (current === 'pass') pair.client.write(d);
      else pair.lost = true;
    });
  };

  const make = () =>
    net.createServer((client) => {
      const pair: Pair = {
        client,
        upstream: null,
        lost: false,
        drop: () => {
          client.destroy();
          pair.upstream?.destroy();
          pairs.delete(pair);
        },
      };
      pairs.add(pair);
      client.on('error', pair.drop).on('close', pair.drop);
      client.on('data', (d: Buffer) => {
        if (current === 'pass') pair.upstream?.write(d);
        else pair.lost = true;
      });
      // A blackholed connection never reaches the upstream: the handshake gets no answer.
      if (current !== 'blackhole') connectUpstream(pair);
      apply(pair);
    });
  let server = make();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const pair of pairs) pair.drop();
      pairs.clear();
      server.close(() => resolve());
    });
  return {
    port,
    cut: stop,
    async restore() {
      server = make();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    mode(mode: ProxyMode) {
      current = mode;
      for (const pair of [...pairs]) apply(pair);
    },
    close: stop,
  };
}
