import { z } from 'zod';
import { durationText, parseDuration } from './duration.js';

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

/**
 * OpenSLO v1 AlertCondition (README, "AlertCondition"): `spec.severity`
 * (required string), `spec.condition` with `kind: burnrate`, `op` (lte, gte,
 * lt, gt), `threshold`, `lookbackWindow` (duration shorthand) and
 * `alertAfter` ("the duration the condition needs to be valid for before
 * alerting, defaults to 0m"). Only inline conditions can be evaluated: a
 * `conditionRef` names a document the gate has not been given.
 */
const alertCondition = z
  .strictObject({
    kind: z.literal('AlertCondition').optional(),
    metadata: metadata.optional(),
    spec: z
      .strictObject({
        description: z.string().optional(),
        severity: z.string().min(1, 'is required: page or ticket'),
        condition: z.strictObject({
          kind: z
            .string()
            .refine(
              (kind) => kind.toLowerCase() === 'burnrate',
              'only kind: burnrate is defined by OpenSLO v1',
            )
            .default('burnrate'),
          op: z.enum(['lte', 'gte', 'lt', 'gt']),
          threshold: z.number().gt(0, 'must be a burn rate above 0, e.g. 14.4'),
          lookbackWindow: durationText,
          alertAfter: z
            .string()
            .refine(
              (text) => /^0+[a-z]*$/.test(text.trim()) || parseDuration(text) !== undefined,
              'must be a duration such as 0m, 5m or 1h',
            )
            .optional(),
        }),
      })
      .optional(),
    conditionRef: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.conditionRef !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['conditionRef'],
        message: 'conditionRef is not supported: inline the AlertCondition (kind, metadata, spec)',
      });
    } else if (!c.spec) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec'],
        message: 'is required: the inline AlertCondition spec',
      });
    }
  });

/** OpenSLO v1 AlertPolicy, inline in an SLO's alertPolicies. */
const alertPolicy = z
  .strictObject({
    kind: z.literal('AlertPolicy').optional(),
    apiVersion: z.literal('openslo/v1').optional(),
    metadata: metadata.optional(),
    spec: z
      .strictObject({
        description: z.string().optional(),
        alertWhenNoData: z.boolean().optional(),
        alertWhenResolved: z.boolean().optional(),
        alertWhenBreaching: z.boolean().optional(),
        conditions: z.array(alertCondition).min(1, 'needs at least one condition'),
        // Where a monitoring system would send the alert; a gate reports in its own summary instead.
        notificationTargets: z.array(z.unknown()).optional(),
      })
      .optional(),
    alertPolicyRef: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.alertPolicyRef !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['alertPolicyRef'],
        message: 'alertPolicyRef is not supported: inline the AlertPolicy (kind, metadata, spec)',
      });
    } else if (!p.spec) {
      ctx.addIssue({ code: 'custom', path: ['spec'], message: 'is required: the inline AlertPolicy spec' });
    } else if (p.spec.alertWhenBreaching === false) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec', 'alertWhenBreaching'],
        message: 'false cannot be honoured: a gate always fails on a breaching burn rate; remove it',
      });
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
      alertPolicies: z.array(alertPolicy).optional(),
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
