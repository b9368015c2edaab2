import type { Dispatcher } from 'undici';
import { parseExposition } from './exposition.js';
import { createDispatcher, defaultRetryPolicy, requestWithRetry } from './http-client.js';
import { evaluate, type Snapshot } from './scrape-eval.js';
import { type MetricsSource, QueryRejectedError, type Sample, type Series } from './source.js';

export interface ScrapeTarget {
  url: string;
  /** Added to every sample of this target, like a Prometheus target label. */
  labels?: Record<string, string>;
}

export interface ScrapeOptions {
  targets: ScrapeTarget[];
  intervalMs?: number;
  /** How much history to keep; the longest window a query may use. */
  retentionMs?: number;
  now?: () => number;
  timeoutMs?: number;
}

/**
 * Reads `/metrics` endpoints directly, with no Prometheus server: it scrapes
 * on an interval, keeps a short history, and answers a subset of PromQL by
 * comparing the latest scrape with the one a window earlier.
 */
export class ScrapeSource implements MetricsSource {
  readonly description: string;
  private readonly history: Snapshot[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly dispatcher: Dispatcher = createDispatcher();
  private readonly now: () => number;

  constructor(private readonly options: ScrapeOptions) {
    this.description = `scrape of ${options.targets.map((t) => t.url).join(', ')}`;
    this.now = options.now ?? Date.now;
  }

  /** Scrapes now and then every interval, until close(). */
  async start(): Promise<void> {
    await this.scrape();
    this.timer = setInterval(() => {
      this.scrape().catch(() => {
        // A missed scrape only widens the gap between two snapshots.
      });
    }, this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  async scrape(): Promise<Snapshot> {
    const samples: Sample[] = [];
    for (const target of this.options.targets) {
      const answer = await requestWithRetry(
        new URL(target.url),
        { method: 'GET', headers: { accept: 'text/plain;version=0.0.4' } },
        { ...defaultRetryPolicy, retries: 1, timeoutMs: this.options.timeoutMs ?? 5_000, backoffMs: 100 },
        this.dispatcher,
        `metrics endpoint ${target.url}`,
      );
      if (answer.status !== 200)
        throw new Error(`metrics endpoint ${target.url} answered HTTP ${answer.status}`);
      samples.push(...parseExposition(answer.body, target.labels));
    }
    const snapshot = { time: this.now(), samples };
    this.history.push(snapshot);
    const keep = this.options.retentionMs ?? 3_600_000;
    while (this.history.length > 2 && (this.history[0] as Snapshot).time < snapshot.time - keep)
      this.history.shift();
    return snapshot;
  }

  async query(expr: string): Promise<Sample[]> {
    const latest = await this.scrape();
    return evaluate(expr, {
      latest,
      startOf: (rangeMs) => this.history.find((s) => s.time >= latest.time - rangeMs && s !== latest),
    });
  }

  async queryRange(): Promise<Series[]> {
    throw new QueryRejectedError(
      'the scrape source answers instant queries only; use a Prometheus server for range queries',
    );
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.dispatcher.close();
  }
}
