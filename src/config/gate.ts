import { z } from 'zod';
import { durationText } from './duration.js';
import { sourceSchema } from './source.js';

export const noDataPolicy = z.enum(['fail', 'pass', 'inconclusive']);
export type NoDataPolicy = z.infer<typeof noDataPolicy>;

const band = z.strictObject({ min: z.number().optional(), max: z.number().optional() });

const WINDOW_PLACEHOLDER = /\{\{\s*window\s*\}\}/;
const windowedQuery = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `must be a PromQL query counting ${what} over [{{window}}]`)
    .refine((query) => WINDOW_PLACEHOLDER.test(query), {
      message: `must use {{window}} (e.g. sum(increase(...[{{window}}]))): the burn rate counts ${what} over several windows (5m, 30m, 1h, 6h, ...)`,
    });

/**
 * Error-budget burn rate against an SLO target, judged by the multi-window
 * rules of the SRE Workbook: page rules (14.4x over 1h and 5m, 6x over 6h
 * and 30m) fail the check; `severity: ticket` adds the ticket rules (3x over
 * 1d and 2h, 1x over 3d and 6h), which only warn.
 */
export const burnRateSchema = z.strictObject({
  target: z
    .number()
    .gt(0, 'must be a fraction between 0 and 1, e.g. 0.999')
    .lt(1, 'must be a fraction below 1, e.g. 0.999 (not a percentage)'),
  errors: windowedQuery('failed events'),
  total: windowedQuery('all events'),
  severity: z.enum(['page', 'ticket']).default('page'),
});
export type BurnRateConfig = z.infer<typeof burnRateSchema>;

/** The fields of a check; rollout configs extend it (with `compare`) and apply the same rules. */
export const checkShape = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a name of letters, digits, ".", "_" or "-"'),
  /** Optional only when burnRate is given. */
  query: z.string().trim().min(1, 'must be a PromQL query').optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  warn: band.optional(),
  onNoData: noDataPolicy.default('fail'),
  window: durationText.optional(),
  burnRate: burnRateSchema.optional(),
});

type CheckBounds = Pick<z.infer<typeof checkShape>, 'query' | 'min' | 'max' | 'warn' | 'burnRate'> & {
  compare?: unknown;
};

export function refineCheck(check: CheckBounds, ctx: z.RefinementCtx): void {
  if (check.query === undefined) {
    if (!check.burnRate) {
      ctx.addIssue({
        code: 'custom',
        path: ['query'],
        message: 'is required: the PromQL query whose value is judged (or give burnRate instead)',
      });
      return;
    }
    for (const field of ['min', 'max', 'warn', 'compare'] as const) {
      if (check[field] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `judges the value of query, and this check has none: add a query, or remove ${field} and let burnRate judge`,
        });
      }
    }
    return;
  }
  if (check.min === undefined && check.max === undefined && check.compare === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'needs min, max or both: the bound the value must stay within (or, in a rollout, compare)',
    });
  }
  if (check.min !== undefined && check.max !== undefined && check.min > check.max) {
    ctx.addIssue({
      code: 'custom',
      path: ['min'],
      message: `min (${check.min}) is greater than max (${check.max}): no value could pass; swap them`,
    });
  }
  const warn = check.warn;
  if (warn) {
    if (warn.min === undefined && warn.max === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['warn'],
        message: 'needs min or max: the tighter band that warns',
      });
    }
    for (const side of ['min', 'max'] as const) {
      const value = warn[side];
      if (value === undefined) continue;
      const lower = check.min ?? Number.NEGATIVE_INFINITY;
      const upper = check.max ?? Number.POSITIVE_INFINITY;
      if (value < lower || value > upper) {
        ctx.addIssue({
          code: 'custom',
          path: ['warn', side],
          message: `${value} lies outside the pass band [${check.min ?? '-∞'}, ${check.max ?? '∞'}]: a warn band sits inside it`,
        });
      }
    }
  }
}

export const checkSchema = checkShape.superRefine(refineCheck);

export const gateSchema = z.strictObject({
  apiVersion: z.literal('glidepath.dev/v1'),
  kind: z.literal('Gate'),
  metadata: z.strictObject({
    name: z.string().min(1),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z
    .strictObject({
      source: sourceSchema.optional(),
      window: durationText.optional(),
      vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
      checks: z.array(checkSchema).min(1, 'needs at least one check'),
    })
    .superRefine((spec, ctx) => {
      const seen = new Set<string>();
      spec.checks.forEach((check, i) => {
        if (seen.has(check.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['checks', i, 'name'],
            message: `"${check.name}" is used twice: check names must be unique`,
          });
        }
        seen.add(check.name);
      });
    }),
});

export type GateFile = z.infer<typeof gateSchema>;
export type CheckSpec = z.infer<typeof checkSchema>;
