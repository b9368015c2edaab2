import { z } from 'zod';
import { durationText, parseDuration } from './duration.js';
import { checkShape, refineCheck } from './gate.js';
import { sourceSchema } from './source.js';

/**
 * Name rules per kind, as Kubernetes has them ("Object Names and IDs"): most
 * objects, custom resources included (VirtualService, DestinationRule,
 * HTTPRoute, TrafficSplit), take a DNS subdomain of up to 253 characters;
 * Namespaces take an RFC 1123 label (63); Services an RFC 1035 label (63,
 * starting with a letter).
 */
const k8sName = z
  .string()
  .max(253, 'must be at most 253 characters (a Kubernetes object name)')
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a Kubernetes name: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
  );
const namespaceName = z
  .string()
  .max(63, 'must be at most 63 characters (a Namespace name is a DNS label)')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Namespace name: lower-case letters, digits and "-"');
/** glidepath creates the Services `<service>-primary` and `<service>-canary`: 63 minus "-primary". */
const serviceName = z
  .string()
  .max(
    55,
    'must be at most 55 characters: glidepath names Services <service>-primary, and a Service name is at most 63',
  )
  .regex(
    /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
    'must be a Service name: lower-case letters, digits and "-", starting with a letter',
  );

export const routerSchema = z.discriminatedUnion(
  'provider',
  [
    z.strictObject({
      provider: z.literal('istio'),
      /** The user's VirtualService; glidepath edits only the weights of the route to the service. */
      virtualService: k8sName,
      /** Which `http` route to manage, by name, when several route to the service. */
      route: z.string().optional(),
      /** DestinationRule whose trafficPolicy the `<svc>-primary`/`<svc>-canary` rules copy; default: the one for the service host. */
      destinationRule: k8sName.optional(),
    }),
    z.strictObject({
      provider: z.literal('gateway-api'),
      httpRoute: k8sName,
      /** Which rule to manage, by name, when several send traffic to the service. */
      rule: z.string().optional(),
    }),
    z.strictObject({
      provider: z.literal('smi'),
      trafficSplit: k8sName.optional(),
      apiVersion: z
        .enum([
          'split.smi-spec.io/v1alpha1',
          'split.smi-spec.io/v1alpha2',
          'split.smi-spec.io/v1alpha3',
          'split.smi-spec.io/v1alpha4',
        ])
        .optional(),
    }),
    z.strictObject({ provider: z.literal('local') }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'provider must be one of "istio", "gateway-api", "smi", "local"'
        : undefined,
  },
);

const compareSchema = z.strictObject({
  /** canary <= primary * tolerance + slack */
  tolerance: z
    .number()
    .min(1, 'must be at least 1 (1.1 allows the canary 10 % more than the primary)')
    .optional(),
  slack: z.number().min(0).optional(),
  /** A statistical test on top of the tolerance: counts of errors, or latency samples. */
  test: z.enum(['two-proportion', 'mann-whitney']).optional(),
  alpha: z.number().gt(0).lt(0.5).optional(),
  minSamples: z.int().min(1).optional(),
});

export const rolloutCheckSchema = checkShape
  .extend({
    compare: compareSchema.optional(),
    /**
     * Roll back only once the check has failed for this long, as a Prometheus alerting rule's
     * `for`: until then the step holds (never advances). Default 0, the first failure rolls back;
     * the presets' latency checks use one scrape interval, so a p99 from a handful of requests
     * must be confirmed by the next scrape.
     */
    for: durationText.optional(),
  })
  .superRefine(refineCheck);

const hook = z.union([
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    timeout: durationText.optional(),
    /** A gating hook's non-2xx answer fails the step; a notifying one is only logged. */
    gating: z.boolean().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /**
     * Sent as the body's `metadata`, beside `name` (the service) and `namespace`: the payload of
     * Flagger's webhooks, so Flagger's load tester (`metadata.type: cmd`, `metadata.cmd: hey ...`) or
     * grafana/flagger-k6-webhook can generate traffic for a low-traffic canary at each step.
     */
    metadata: z.record(z.string(), z.string()).optional(),
  }),
]);

/** Counts of a track: `{{track}}`, `{{since}}` (time since the step's weights were confirmed) and `{{window}}` are filled in. */
export const countsSchema = z.strictObject({
  errors: z.string().trim().min(1, 'must be a PromQL query counting failed requests'),
  requests: z.string().trim().min(1, 'must be a PromQL query counting all requests'),
});

/**
 * Defaults of the sequential test, chosen with `npm run bench -- blast-radius`
 * (100 rps, 0.5 % base errors, a Prometheus scraping every 15 s). alpha is the
 * chance of rolling back a healthy canary over the whole rollout: each step
 * runs its own test at alpha / steps (Bonferroni), so more steps do not mean
 * more false rollbacks. beta is the chance that one step accepts a canary as
 * bad as the multiplier; each step judges only the counts since its weights
 * were confirmed, so a canary that goes bad only at a higher weight meets a
 * fresh test there, and beta bounds its promotion. A multiplier of 4 is sized
 * for the regressions a canary exists to catch (an error rate several times
 * the primary's) and decides them in a few hundred canary requests; a canary
 * only 2x worse needs the slower, stricter test (`multiplier: 2`).
 */
export const SEQUENTIAL_DEFAULTS = { alpha: 0.005, beta: 0.01, multiplier: 4 } as const;

export const sequentialSchema = z.strictObject({
  alpha: z.number().gt(0).lt(0.5).default(SEQUENTIAL_DEFAULTS.alpha),
  beta: z.number().gt(0).lt(0.5).default(SEQUENTIAL_DEFAULTS.beta),
  /** H0: error rate <= p0 (a fixed SLO rate), or the primary's rate when omitted. */
  p0: z.number().gt(0).lt(1).optional(),
  /** H1: error rate >= p0 * multiplier. */
  multiplier: z.number().gt(1).default(SEQUENTIAL_DEFAULTS.multiplier),
  /** Never advance a step earlier than this (at least two scrape intervals in any case). */
  minSoak: durationText.optional(),
});

export const rolloutSchema = z
  .strictObject({
    apiVersion: z.literal('glidepath.dev/v1').optional(),
    kind: z.literal('Rollout').optional(),
    service: serviceName,
    namespace: namespaceName.optional(),
    router: routerSchema,
    /** Canary weight at each step, in percent, rising; promotion follows the last. */
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1, 'needs at least one step, e.g. [5, 10, 25, 50]')
      .refine(
        (steps) => steps.every((w, i) => i === 0 || w > (steps[i - 1] as number)),
        'must rise step by step, e.g. [5, 10, 25, 50]',
      )
      .default([5, 10, 25, 50]),
    /** Soak per step before it is judged. */
    interval: durationText.default('2m'),
    /**
     * How often checks are evaluated during a step (the sequential test decides at each tick).
     * Default: a quarter of interval, at least 1s and at most 5s.
     */
    checkInterval: durationText.optional(),
    /** How long to wait for the canary Deployment to become ready. */
    readyTimeout: durationText.default('10m'),
    /**
     * How long the rollout's Lease outlives its last renewal (renewed every third of it). A lost
     * runner leaves traffic split this long before the janitor or the next run may clean up.
     * Default: the step interval, at least 1m and at most 5m.
     */
    leaseDuration: durationText
      .refine(
        (text) => (parseDuration(text) ?? 0) >= 15_000,
        'must be at least 15s: the Lease is renewed every third of it, and one slow API request must not lose it',
      )
      .optional(),
    /** Hold a step while data is missing, up to this long; then fail (never promote on missing data). */
    noDataDeadline: durationText.optional(),
    /** The container that gets the new image; default: the one named like the service, else the only one. */
    container: z.string().min(1).optional(),
    /** Canary pods: a fixed count, or `weight` (default): its step's share of the primary's replicas, at least 1. */
    canaryReplicas: z.union([z.literal('weight'), z.int().min(1)]).optional(),
    /** After traffic moves back to the primary, wait this long before scaling the canary down, so every proxy has the new route. */
    scaleDownDelay: durationText.optional(),
    /**
     * A step whose sequential test is still undecided at `interval` extends, up to this long in all
     * (default 4 intervals), then rolls back saying how many requests it saw and how many the test needed.
     */
    maxStepDuration: durationText.optional(),
    vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
    analysis: z
      .strictObject({
        source: sourceSchema.optional(),
        window: durationText.optional(),
        /**
         * How often the metrics backend scrapes the service (Prometheus's scrape_interval; 15 s in its
         * example config). No step ends before two scrapes at its weight; default 15s, the check
         * interval for the scrape source.
         */
        scrapeInterval: durationText.optional(),
        /**
         * Before the first write, the primary's traffic over the last maxStepDuration is measured
         * against what the schedule needs (the sequential test's mean sample at the lowest weight):
         * `refuse` (default) does not start a rollout that cannot decide, `warn` starts it anyway.
         */
        lowTraffic: z.enum(['refuse', 'warn']).optional(),
        /** Built-in queries for a mesh's own metrics, so a team can start without writing PromQL. */
        preset: z.enum(['istio', 'istio-ambient', 'linkerd', 'demo']).optional(),
        checks: z.array(rolloutCheckSchema).default([]),
        counts: countsSchema.optional(),
        /** The sequential test on `counts`; on by default whenever counts exist, `false` turns it off. */
        sequential: z.union([sequentialSchema, z.literal(false)]).optional(),
      })
      .optional(),
    hooks: z
      .strictObject({
        'pre-rollout': hook.optional(),
        rollout: hook.optional(),
        'post-rollout': hook.optional(),
        rollback: hook.optional(),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (
      config.router.provider !== 'local' &&
      (config.analysis?.checks.length ?? 0) === 0 &&
      !config.analysis?.sequential &&
      // A preset or counts bring the sequential test on by default.
      !((config.analysis?.preset || config.analysis?.counts) && config.analysis?.sequential !== false)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['analysis'],
        message:
          'needs at least one check or a sequential test: a canary promoted without analysis is just a slow deploy',
      });
    }
  });

export type RolloutConfig = z.infer<typeof rolloutSchema>;
export type RouterConfig = z.infer<typeof routerSchema>;
export type HookConfig = z.infer<typeof hook>;
export type SequentialConfig = z.infer<typeof sequentialSchema>;
export type CountsConfig = z.infer<typeof countsSchema>;
