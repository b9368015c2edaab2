import { createServer, request, type Server } from 'node:http';

export type FaultMode = 'pass' | 'status500' | 'status429' | 'slow' | 'drop';

export interface FaultProxy {
  url: string;
  /** Requests received, whatever the mode. */
  requests(): number;
  /** Headers of the last request received. */
  lastHeaders(): Record<string, string | string[] | undefined>;
  setMode(mode: FaultMode, slowMs?: number): void;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a real server that can answer 500 or
 * 429, hold requests, or drop connections, to test retries and fail-closed
 * behaviour against the real thing behind it.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let delay = 0;
  let count = 0;
  let headers: Record<string, string | string[] | undefined> = {};
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    count++;
    headers = req.headers;
    if (mode === 'drop') {
      req.socket.destroy();
      return;
    }
    if (mode === 'status500' || mode === 'status429') {
      const status = mode === 'status500' ? 500 : 429;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', errorType: 'internal', error: `injected ${status}` }));
      return;
    }
    const forward = () => {
      const proxied = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      proxied.on('error', () => res.destroy());
      req.pipe(proxied);
    };
    if (mode === 'slow') setTimeout(forward, delay).unref();
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    lastHeaders: () => headers,
    setMode(next, slowMs = 0) {
      mode = next;
      delay = slowMs;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
