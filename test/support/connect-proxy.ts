import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';

export interface ConnectProxy {
  url: string;
  /** host:port of every target reached through the proxy. */
  tunnels: string[];
  stop(): Promise<void>;
}

/** A forward proxy on 127.0.0.1 that opens CONNECT tunnels, as corporate proxies in front of runners do. */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  // Plain-http targets come as absolute-form requests (GET http://host/path), https ones as CONNECT.
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '');
    tunnels.push(target.host);
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
