import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALL_PRIMARY, assertWeights, type PlannedWrite, type TrafficRouter, type Weights } from './router.js';

/** Response header naming the track that answered: `stable` or `canary`, as the pod label says. */
export const TRACK_HEADER = 'x-glidepath-track';

type Track = keyof Weights;
const TRACK_LABEL_VALUE: Record<Track, string> = { primary: 'stable', canary: 'canary' };

export interface LocalProxyOptions {
  primaryUrl: string;
  canaryUrl: string;
  /** Port on 127.0.0.1 (default: any free port). */
  port?: number;
}

export interface LocalProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Requests forwarded to each track since start. */
  readonly counts: Readonly<Weights>;
  readonly weights: Readonly<Weights>;
  setWeights(weights: Weights): void;
  /** A TrafficRouter that moves this proxy's weights. */
  readonly router: TrafficRouter;
  stop(): Promise<void>;
}

/**
 * Smooth weighted round-robin (nginx's): each pick adds every weight to its running score and
 * takes the highest, then subtracts the total from the winner. Over any `total` picks each track
 * gets exactly its weight, evenly spread, so 10 % is 1 request in every 10, not 10 % on average.
 */
export class SmoothWeightedPicker {
  private scores: Weights = { primary: 0, canary: 0 };
  private weights: Weights = { ...ALL_PRIMARY };

  set(weights: Weights): void {
    this.weights = { ...weights };
    this.scores = { primary: 0, canary: 0 };
  }

  next(): Track {
    const total = this.weights.primary + this.weights.canary;
    this.scores.primary += this.weights.primary;
    this.scores.canary += this.weights.canary;
    // Ties go to primary: the first request after a change never lands on the canary by accident.
    const pick: Track = this.scores.canary > this.scores.primary ? 'canary' : 'primary';
    this.scores[pick] -= total;
    return pick;
  }
}

function forward(target: URL, req: IncomingMessage, res: ServerResponse, track: Track): void {
  const upstream = httpRequest(
    {
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: `${target.pathname.replace(/\/$/, '')}${req.url ?? '/'}`,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, {
        ...answer.headers,
        [TRACK_HEADER]: TRACK_LABEL_VALUE[track],
      });
      answer.pipe(res);
    },
  );
  upstream.on('error', (e: Error) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain', [TRACK_HEADER]: TRACK_LABEL_VALUE[track] });
    }
    res.end(`glidepath local proxy: the ${TRACK_LABEL_VALUE[track]} upstream failed: ${e.message}\n`);
  });
  req.pipe(upstream);
}

/** The playground's in-process mesh: a weighted HTTP proxy on 127.0.0.1 in front of two upstreams. */
export async function startLocalProxy(options: LocalProxyOptions): Promise<LocalProxy> {
  const upstreams: Record<Track, URL> = {
    primary: new URL(options.primaryUrl),
    canary: new URL(options.canaryUrl),
  };
  const picker = new SmoothWeightedPicker();
  const counts: Weights = { primary: 0, canary: 0 };
  let weights: Weights = { ...ALL_PRIMARY };
  const server = createServer((req, res) => {
    const track = picker.next();
    counts[track] += 1;
    forward(upstreams[track], req, res, track);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const proxy: LocalProxy = {
    url: `http://127.0.0.1:${port}`,
    get counts() {
      return { ...counts };
    },
    get weights() {
      return { ...weights };
    },
    setWeights(next) {
      assertWeights(next);
      weights = { ...next };
      picker.set(next);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
    get router() {
      return new LocalRouter(proxy);
    },
  };
  return proxy;
}

/** TrafficRouter over the local proxy: nothing to create, weights live in the process. */
export class LocalRouter implements TrafficRouter {
  readonly provider = 'local';

  constructor(private readonly proxy: LocalProxy) {}

  async validate(): Promise<PlannedWrite[]> {
    return [];
  }

  async ensure(): Promise<void> {}

  async setWeights(weights: Weights): Promise<Weights> {
    this.proxy.setWeights(weights);
    return { ...this.proxy.weights };
  }

  async getWeights(): Promise<Weights> {
    return { ...this.proxy.weights };
  }

  async reset(): Promise<Weights> {
    return this.setWeights(ALL_PRIMARY);
  }
}
