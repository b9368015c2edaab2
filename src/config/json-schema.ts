import { z } from 'zod';
import { gateSchema } from './gate.js';
import { sliSchema, sloSchema } from './openslo.js';
import { rolloutSchema } from './rollout.js';

/** Config schemas published under schema/ for editor completion, by file name. */
export const publishedSchemas: Record<string, { title: string; schema: z.ZodType }> = {
  'gate.schema.json': { title: 'glidepath Gate (glidepath.dev/v1)', schema: gateSchema },
  'openslo-slo.schema.json': { title: 'OpenSLO v1 SLO, as glidepath reads it', schema: sloSchema },
  'openslo-sli.schema.json': { title: 'OpenSLO v1 SLI, as glidepath reads it', schema: sliSchema },
  'rollout.schema.json': { title: 'glidepath Rollout config (glidepath.dev/v1)', schema: rolloutSchema },
};

export function renderJsonSchema(name: string): string {
  const entry = publishedSchemas[name];
  if (!entry) throw new Error(`no published schema ${name}`);
  const json = z.toJSONSchema(entry.schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ $id: `https://glidepath.dev/schema/${name}`, title: entry.title, ...json }, null, 2)}\n`;
}
