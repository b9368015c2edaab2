import { z } from 'zod';
import { durationText } from './duration.js';

/**
 * The part of OpenSLO v1 (github.com/OpenSLO/OpenSLO, `kind: SLO` and
 * `kind: SLI`) that a gate can evaluate: ratio and threshold indicators whose
 * metric source is Prometheus. Everything else is refused with a message,
 * never ignored, so an SLO can't pass because part of it was skipped.
 */
const metricSource = z.looseObject({
  metricSourceRef: z.string().optional(),
  type: z.string(),
  spec: z.looseObject({}),
});

const metric = z.strictObject({ metricSource });

const ratioMetric = z
  .strictObject({
    counter: z.boolean(),
    good: metric.optional(),
    bad: metric.optional(),
    total: metric.optional(),
    raw: metric.optional(),
    rawType: z.enum(['success', 'failure']).optional(),
  })
  .superRefine((ratio, ctx) => {
    if (ratio.raw) {
      ctx.addIssue({
        code: 'custom',
        path: ['raw'],
        message: 'raw ratio metrics are not supported: give good (or bad) and total queries',
      });
      return;
    }
    if (!ratio.total)
      ctx.addIssue({
        code: 'custom',
        path: ['total'],
        message: 'is required: the query counting all events',
      });
    if (!ratio.good === !ratio.bad) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of good or bad, besides total' });
    }
  });

const indicatorSpec = z
  .strictObject({
    description: z.string().optional(),
    ratioMetric: ratioMetric.optional(),
    thresholdMetric: metric.optional(),
  })
  .superRefine((spec, ctx) => {
    if (!spec.ratioMetric === !spec.thresholdMetric) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of ratioMetric or thresholdMetric' });
    }
  });

const metadata = z.looseObject({
  name: z.string().min(1),
  displayName: z.string().optional(),
});

export const sliSchema = z.strictObject({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('SLI'),
  metadata,
  spec: indicatorSpec,
});

const objective = z
  .strictObject({
    displayName: z.string().optional(),
    op: z.enum(['lte', 'gte', 'lt', 'gt']).optional(),
    value: z.number().optional(),
    target: z.number().gt(0).lt(1, 'must be a fraction below 1, e.g. 0.99').optional(),
    targetPercent: z.number().gt(0).lt(100).optional(),
    timeSliceTarget: z.number().optional(),
    timeSliceWindow: z.union([z.string(), z.number()]).optional(),
    indicator: z.unknown().optional(),
    indicatorRef: z.string().optional(),
    compositeWeight: z.number().optional(),
  })
  .superRefine((o, ctx) => {
    if (o.target === undefined && o.targetPercent === undefined) {
      ctx.addIssue({ code: 'custom', message: 'needs target (e.g. 0.99) or targetPercent (e.g. 99)' });
    }
    for (const unsupported of ['timeSliceTarget', 'timeSliceWindow', 'indicator', 'indicatorRef'] as const) {
      if (o[unsupported] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [unsupported],
          message: `per-objective ${unsupported} is not supported: use budgetingMethod Occurrences and the SLO's indicator`,
        });
      }
    }
  });

export const sloSchema = z.strictObject({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('SLO'),
  metadata,
  spec: z
    .strictObject({
      description: z.string().optional(),
      service: z.string().min(1),
      indicator: z.strictObject({ metadata, spec: indicatorSpec }).optional(),
      indicatorRef: z.string().optional(),
      timeWindow: z
        .array(z.looseObject({ duration: durationText, isRolling: z.boolean().optional() }))
        .max(1)
        .optional(),
      budgetingMethod: z.enum(['Occurrences', 'Timeslices', 'RatioTimeslices']),
      objectives: z.array(objective).min(1, 'needs at least one objective'),
      alertPolicies: z.array(z.unknown()).optional(),
    })
    .superRefine((spec, ctx) => {
      if (!spec.indicator === !spec.indicatorRef) {
        ctx.addIssue({ code: 'custom', message: 'needs exactly one of indicator or indicatorRef' });
      }
      if (spec.budgetingMethod !== 'Occurrences') {
        ctx.addIssue({
          code: 'custom',
          path: ['budgetingMethod'],
          message: `${spec.budgetingMethod} is not supported by the gate, which judges one window of events: use Occurrences`,
        });
      }
    }),
});

export type SloFile = z.infer<typeof sloSchema>;
export type SliFile = z.infer<typeof sliSchema>;
export type IndicatorSpec = z.infer<typeof indicatorSpec>;
export type ObjectiveSpec = z.infer<typeof objective>;
