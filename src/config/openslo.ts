import { z } from 'zod';
import { durationText, parseDuration } from './duration.js';

/**
 * The part of OpenSLO v1 (github.com/OpenSLO/OpenSLO, `kind: SLO` and
 * `kind: SLI`) that a gate can evaluate: ratio and threshold indicators whose
 * metric source is Prometheus. Everything else is refused with a message,
 * never ignored, so an SLO can't pass because part of it was skipped.
 */
// `type` "can be omitted because the type will be inferred from the DataSource
// when metricSourceRef is specified" (OpenSLO README, "SLI").
const metricSource = z
  .looseObject({
    metricSourceRef: z.string().min(1).optional(),
    // The gate queries Prometheus only; OpenSLO leaves the type's spelling open, so any case.
    type: z
      .string()
      .regex(/^[Pp][Rr][Oo][Mm][Ee][Tt][Hh][Ee][Uu][Ss]$/, {
        error: (issue) =>
          `metric source type ${JSON.stringify(issue.input)} is not supported by the gate: use Prometheus`,
      })
      .optional(),
    spec: z.looseObject({}),
  })
  .refine((source) => source.type !== undefined || source.metricSourceRef !== undefined, {
    path: ['type'],
    message: 'is required when metricSourceRef is absent: the metric source type, e.g. Prometheus',
  });

const metric = z.strictObject({ metricSource });

const ratioMetric = z
  .strictObject({
    // Optional, false when absent, as the OpenSLO Go SDK reads it (a missing bool is false).
    counter: z.boolean().default(false),
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
 * alerting, defaults to 0m"). Inline in a policy, or a document of its own
 * that a policy names in `conditionRef`.
 */
export const alertConditionSchema = z
  .strictObject({
    apiVersion: z.literal('openslo/v1').optional(),
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
          // The spec's own AlertCondition examples give no op: a burn rate alerts above its threshold.
          op: z.enum(['lte', 'gte', 'lt', 'gt']).default('gt'),
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
    if (c.conditionRef === undefined && !c.spec) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec'],
        message: 'is required: the AlertCondition spec (or conditionRef naming an AlertCondition document)',
      });
    }
  });

/** OpenSLO v1 AlertPolicy, inline in an SLO's alertPolicies or a document of its own named by alertPolicyRef. */
export const alertPolicySchema = z
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
        conditions: z.array(alertConditionSchema).min(1, 'needs at least one condition'),
        // Where a monitoring system would send the alert; a gate reports in its own summary instead.
        notificationTargets: z.array(z.unknown()).optional(),
      })
      .optional(),
    alertPolicyRef: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.alertPolicyRef !== undefined) return;
    if (!p.spec) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec'],
        message: 'is required: the AlertPolicy spec (or alertPolicyRef naming an AlertPolicy document)',
      });
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
      // OpenSLO also has Timeslices (and RatioTimeslices); a gate judges one window of events.
      budgetingMethod: z.literal('Occurrences', {
        error: (issue) =>
          issue.input === undefined
            ? 'is required: Occurrences (the gate judges the events of one window)'
            : `${String(issue.input)} is not supported by the gate, which judges one window of events: use Occurrences`,
      }),
      objectives: z.array(objective).min(1, 'needs at least one objective'),
      // `alertPolicies:` left empty is YAML null: no policies, as the SDK reads it.
      alertPolicies: z.array(alertPolicySchema).nullable().optional(),
    })
    .superRefine((spec, ctx) => {
      if (!spec.indicator === !spec.indicatorRef) {
        ctx.addIssue({ code: 'custom', message: 'needs exactly one of indicator or indicatorRef' });
      }
    }),
});

/**
 * OpenSLO v1 DataSource (README, "DataSource"): `spec.type` and free-form
 * `spec.connectionDetails`. glidepath can query one of type Prometheus, whose
 * address it takes from `connectionDetails.url` (or `address`).
 */
export const dataSourceSchema = z.looseObject({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('DataSource'),
  metadata,
  spec: z.looseObject({
    description: z.string().optional(),
    type: z.string().min(1),
    connectionDetails: z.looseObject({}).nullable().optional(),
  }),
});

/** OpenSLO v1 kinds a gate reads as context or skips with a notice, never as a failure of the SLOs beside them. */
export const CONTEXT_KINDS = ['Service', 'AlertNotificationTarget'] as const;

export const contextObjectSchema = z.looseObject({
  apiVersion: z.literal('openslo/v1'),
  kind: z.enum(CONTEXT_KINDS),
  metadata,
  spec: z.looseObject({}).nullable().optional(),
});

/**
 * An OpenSLO file as the spec has it: one object, or a YAML list of objects
 * (the form the OpenSLO SDK reads and writes), of the kinds glidepath reads.
 */
const opensloObject = z.union([
  sloSchema,
  sliSchema,
  dataSourceSchema,
  contextObjectSchema,
  alertPolicySchema.and(z.object({ apiVersion: z.literal('openslo/v1'), kind: z.literal('AlertPolicy') })),
  alertConditionSchema.and(
    z.object({ apiVersion: z.literal('openslo/v1'), kind: z.literal('AlertCondition') }),
  ),
]);
export const opensloFileSchema = z.union([opensloObject, z.array(opensloObject)]);

export type SloFile = z.infer<typeof sloSchema>;
export type DataSourceFile = z.infer<typeof dataSourceSchema>;
export type AlertPolicyFile = z.infer<typeof alertPolicySchema>;
export type AlertConditionFile = z.infer<typeof alertConditionSchema>;
export type SliFile = z.infer<typeof sliSchema>;
export type IndicatorSpec = z.infer<typeof indicatorSpec>;
export type ObjectiveSpec = z.infer<typeof objective>;
