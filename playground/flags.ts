// The playground's flags: checked here, so a bad flag is named as the flag
// (never as playground/rollout.yml, a file the user did not edit).
import { UsageError } from '../src/cli/args.js';
import { parseDuration } from '../src/config/duration.js';

export const playgroundUsage = `npm run playground [-- MODE] [-- flags]
  MODE rollout (default): a healthy canary promoted, then a faulty one rolled back
    --canary-error-rate R   error rate of the faulty release, 0..1 (default 0.08)
    --base-error-rate R     error rate of the stable release, 0..1 (default 0.005)
    --steps 25,50,75        canary weights, rising, 1..100
    --interval 20s          soak per step (a duration: 30s, 1m, 1m30s)
    --rps N                 requests per second of the load generator (default 150)
    --summary FILE          where the job summary Markdown goes (default .playground/summary.md)
    --report FILE           also write the JSON reports
  MODE gate: the SLO gate on one demo service
    --error-rate R          the service's error rate, 0..1 (default 0.005)
    --latency-ms N          its added latency (default 5)
    --out DIR               where the report and summary go (default .playground)
  --help, -h                this text
Exit code 0 as expected, 1 otherwise, 64 for a bad flag.`;

export function rate(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(
      `--${flag} ${JSON.stringify(value)} must be a fraction from 0 to 1, e.g. 0.05 for 5 %`,
    );
  }
  return n;
}

export function positive(flag: string, value: string, { integer = false } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${flag} ${JSON.stringify(value)} must be a ${integer ? 'whole ' : ''}number above 0`,
    );
  }
  return n;
}

export function steps(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  const ok = list.every(
    (w, i) => Number.isInteger(w) && w >= 1 && w <= 100 && (i === 0 || w > (list[i - 1] as number)),
  );
  if (!ok || value.trim() === '') {
    throw new UsageError(
      `--steps ${JSON.stringify(value)} must be rising weights from 1 to 100, comma-separated, e.g. 10,25,50`,
    );
  }
  return list;
}

export function interval(value: string): string {
  if (parseDuration(value) === undefined) {
    throw new UsageError(`--interval ${JSON.stringify(value)} must be a duration such as 20s, 1m or 1m30s`);
  }
  return value;
}
