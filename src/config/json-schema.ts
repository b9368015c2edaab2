import { z } from 'zod';
import { manifestSchema } from '../images/services.js';
import { gateSchema } from './gate.js';
import { opensloFileSchema, sliSchema, sloSchema } from './openslo.js';
import { rolloutSchema } from './rollout.js';

type JsonSchema = Record<string, unknown>;

/**
 * Rules of the canary action that zod's refinements hold but cannot export,
 * written as JSON Schema so an editor refuses what the action refuses
 * (src/config/cluster-requirements.ts and the rollout schema's analysis
 * rule): outside the playground's local router a rollout needs
 * analysis.source, and at least one check, a sequential test, or a preset or
 * counts that bring one.
 */
const clusterRollout: JsonSchema = {
  if: {
    required: ['router'],
    properties: { router: { required: ['provider'], properties: { provider: { const: 'local' } } } },
  },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else keyword.
  then: {},
  else: {
    required: ['analysis'],
    properties: {
      analysis: {
        required: ['source'],
        anyOf: [
          { required: ['checks'], properties: { checks: { minItems: 1 } } },
          { required: ['sequential'], properties: { sequential: { type: 'object' } } },
          {
            anyOf: [{ required: ['preset'] }, { required: ['counts'] }],
            not: { required: ['sequential'], properties: { sequential: { const: false } } },
          },
        ],
      },
    },
  },
};

/** Config schemas published under schema/ for editor completion, by file name. */
export const publishedSchemas: Record<string, { title: string; schema: z.ZodType; extra?: JsonSchema }> = {
  'gate.schema.json': { title: 'glidepath Gate (glidepath.dev/v1)', schema: gateSchema },
  'openslo.schema.json': {
    title: 'OpenSLO v1 file (one object or a list), as glidepath reads it',
    schema: opensloFileSchema,
  },
  'openslo-slo.schema.json': { title: 'OpenSLO v1 SLO, as glidepath reads it', schema: sloSchema },
  'openslo-sli.schema.json': { title: 'OpenSLO v1 SLI, as glidepath reads it', schema: sliSchema },
  'rollout.schema.json': {
    title: 'glidepath Rollout config (glidepath.dev/v1)',
    schema: rolloutSchema,
    extra: { allOf: [clusterRollout] },
  },
  'services.schema.json': {
    title: 'glidepath services manifest (glidepath.services.yml)',
    schema: manifestSchema,
  },
};

export function renderJsonSchema(name: string): string {
  const entry = publishedSchemas[name];
  if (!entry) throw new Error(`no published schema ${name}`);
  const json = z.toJSONSchema(entry.schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ $id: `https://glidepath.dev/schema/${name}`, title: entry.title, ...json, ...entry.extra }, null, 2)}\n`;
}
