/** One labelled value of an instant query. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** One labelled series of a range query: [unix seconds, value] points. */
export interface Series {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

export interface TimeRange {
  start: Date;
  end: Date;
  stepSeconds: number;
}

/**
 * The metrics seam: everything outside src/metrics/ asks questions through
 * this and never learns which backend answered.
 */
export interface MetricsSource {
  /** For reports and errors, e.g. `Prometheus at https://prom.example` (never a credential). */
  readonly description: string;
  query(expr: string, at?: Date): Promise<Sample[]>;
  queryRange(expr: string, range: TimeRange): Promise<Series[]>;
  close?(): Promise<void>;
}

/** The backend could not be reached or kept failing after the retries: callers fail closed. */
export class MetricsUnavailableError extends Error {
  override readonly name = 'MetricsUnavailableError';
}

/** The backend answered and refused the query (a 4xx): retrying will not help, the query must change. */
export class QueryRejectedError extends Error {
  override readonly name = 'QueryRejectedError';
}
