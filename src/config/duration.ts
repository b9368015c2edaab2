import { z } from 'zod';

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
} as const;
type Unit = keyof typeof UNIT_MS;

/** Prometheus duration syntax (`1h30m`, `5m`, `250ms`): units in descending order, each at most once. */
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const ORDER: Unit[] = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/** Milliseconds of a Prometheus-style duration, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  let total = 0;
  ORDER.forEach((unit, i) => {
    const amount = match[i + 1];
    if (amount !== undefined) total += Number(amount) * UNIT_MS[unit];
  });
  return total > 0 ? total : undefined;
}

/** The shortest Prometheus duration text for a number of milliseconds (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  let text = '';
  for (const unit of ORDER) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text || '0s';
}

/**
 * A zod field for a duration written like `5m`, stored as its text (a valid
 * PromQL range). A pattern rather than a refinement, so the JSON Schema holds
 * it too and an editor flags `5 minutes` as the action would; the lookahead
 * refuses a zero duration such as `0m`.
 */
export const DURATION_PATTERN =
  /^(?=.*[1-9])(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;

export const durationText = z
  .string()
  .regex(
    DURATION_PATTERN,
    'must be a duration such as 30s, 5m, 1h or 1h30m (units ms, s, m, h, d, w, y, largest first)',
  );
