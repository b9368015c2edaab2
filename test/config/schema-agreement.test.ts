import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { clusterRequirementProblems } from '../../src/config/cluster-requirements.js';
import { ConfigurationError } from '../../src/config/errors.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import { parseManifest } from '../../src/images/services.js';
import { repoRoot } from '../support/shared-fixtures.js';

type SchemaName = 'rollout' | 'gate' | 'openslo' | 'services';

/**
 * One corpus for both judges. `loaderOnly` marks a rule JSON Schema cannot
 * express (an order between items or fields, cross-document references), so
 * the schema accepts what the loader refuses; everything else must agree.
 */
interface Case {
  schema: SchemaName;
  name: string;
  text: string;
  valid: boolean;
  loaderOnly?: string;
}

const source = 'source: { provider: prometheus, address: http://prom:9090 }';
const rollout = (
  extra: string,
  analysis = `analysis:\n  ${source}\n  checks: [{ name: errors, query: up, max: 1 }]\n`,
) => `service: shop\nrouter: { provider: istio, virtualService: shop }\n${extra}${analysis}`;
const gate = (check: string, spec = '') =>
  `apiVersion: glidepath.dev/v1\nkind: Gate\nmetadata: { name: g }\nspec:\n${spec}  checks:\n    - ${check}\n`;

const cases: Case[] = [
  {
    schema: 'rollout',
    name: 'a full rollout',
    text: rollout('steps: [5, 25, 50]\ninterval: 1m30s\n'),
    valid: true,
  },
  {
    schema: 'rollout',
    name: 'the playground router needs no source',
    text: 'service: demo\nrouter: { provider: local }\n',
    valid: true,
  },
  {
    schema: 'rollout',
    name: 'a preset brings the sequential test',
    text: rollout('', `analysis:\n  ${source}\n  preset: istio\n`),
    valid: true,
  },
  {
    schema: 'rollout',
    name: 'no analysis source',
    text: rollout('', 'analysis:\n  checks: [{ name: e, query: up, max: 1 }]\n'),
    valid: false,
  },
  { schema: 'rollout', name: 'no analysis at all', text: rollout('', ''), valid: false },
  {
    schema: 'rollout',
    name: 'a source but no check',
    text: rollout('', `analysis:\n  ${source}\n`),
    valid: false,
  },
  { schema: 'rollout', name: 'interval in words', text: rollout('interval: 5 minutes\n'), valid: false },
  { schema: 'rollout', name: 'a zero interval', text: rollout('interval: 0m\n'), valid: false },
  { schema: 'rollout', name: 'a weight over 100', text: rollout('steps: [50, 120]\n'), valid: false },
  { schema: 'rollout', name: 'an unknown field', text: rollout('stepz: [5]\n'), valid: false },
  {
    schema: 'rollout',
    name: 'a service name over 55 characters',
    text: rollout('').replace('service: shop', `service: ${'s'.repeat(56)}`),
    valid: false,
  },
  {
    schema: 'rollout',
    name: 'a 200-character VirtualService name',
    text: rollout('').replace('virtualService: shop', `virtualService: ${'v'.repeat(200)}`),
    valid: true,
  },
  {
    schema: 'rollout',
    name: 'an unknown router',
    text: rollout('').replace('provider: istio', 'provider: nginx'),
    valid: false,
  },
  {
    schema: 'rollout',
    name: 'decreasing steps',
    text: rollout('steps: [50, 10]\n'),
    valid: false,
    loaderOnly: 'JSON Schema cannot compare one item with the next',
  },
  {
    schema: 'rollout',
    name: 'a check with min above max',
    text: rollout('', `analysis:\n  ${source}\n  checks: [{ name: e, query: up, min: 2, max: 1 }]\n`),
    valid: false,
    loaderOnly: 'JSON Schema cannot compare two fields',
  },

  {
    schema: 'gate',
    name: 'a gate',
    text: gate('{ name: up, query: up, min: 1 }', '  window: 10m\n'),
    valid: true,
  },
  {
    schema: 'gate',
    name: 'window in words',
    text: gate('{ name: up, query: up, min: 1 }', '  window: 5 minutes\n'),
    valid: false,
  },
  {
    schema: 'gate',
    name: 'a burn-rate target as a percentage',
    text: gate('{ name: b, burnRate: { target: 99.9, errors: "e[{{window}}]", total: "t[{{window}}]" } }'),
    valid: false,
  },
  {
    schema: 'gate',
    name: 'an unknown no-data policy',
    text: gate('{ name: up, query: up, min: 1, onNoData: ignore }'),
    valid: false,
  },
  {
    schema: 'gate',
    name: 'a check name with spaces',
    text: gate('{ name: "my check", query: up, min: 1 }'),
    valid: false,
  },
  {
    schema: 'gate',
    name: 'min above max',
    text: gate('{ name: up, query: up, min: 2, max: 1 }'),
    valid: false,
    loaderOnly: 'JSON Schema cannot compare two fields',
  },

  ...readdirSync(join(repoRoot, 'test/config/openslo'))
    .filter((f) => f !== 'many-problems.yaml')
    .map(
      (f): Case => ({
        schema: 'openslo',
        name: `spec example ${f}`,
        text: readFileSync(join(repoRoot, 'test/config/openslo', f), 'utf8'),
        valid: true,
      }),
    ),
  {
    schema: 'openslo',
    name: 'a Timeslices SLO',
    text: readFileSync(join(repoRoot, 'test/config/openslo/list-form.yaml'), 'utf8').replace(
      'Occurrences',
      'Timeslices',
    ),
    valid: false,
  },
  {
    schema: 'openslo',
    name: 'a Datadog metric source',
    text: readFileSync(join(repoRoot, 'test/config/openslo/multi-document.yaml'), 'utf8').replaceAll(
      'type: Prometheus',
      'type: Datadog',
    ),
    valid: false,
  },
  {
    schema: 'openslo',
    name: 'an SLO whose SLI is in no file',
    text: readFileSync(join(repoRoot, 'test/config/openslo/list-form.yaml'), 'utf8').replace(
      'indicatorRef: foo-availability',
      'indicatorRef: elsewhere',
    ),
    valid: false,
    loaderOnly: 'a reference to another document',
  },

  {
    schema: 'services',
    name: 'a manifest',
    text: 'services:\n  - name: api\n    path: src/api\n    dependsOn: [libs/shared, web]\n  - name: web\n    path: src/web\n',
    valid: true,
  },
  {
    schema: 'services',
    name: 'an image name in capitals',
    text: 'services:\n  - name: API\n    path: src/api\n',
    valid: false,
  },
  {
    schema: 'services',
    name: 'a path outside the repository',
    text: 'services:\n  - name: api\n    path: /srv/api\n',
    valid: false,
    loaderOnly: 'JSON Schema patterns cannot normalise a path',
  },
  { schema: 'services', name: 'no service', text: 'services: []\n', valid: false },
];

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validators = Object.fromEntries(
  (['rollout', 'gate', 'openslo', 'services'] as const).map((name) => [
    name,
    ajv.compile(JSON.parse(readFileSync(join(repoRoot, 'schema', `${name}.schema.json`), 'utf8'))),
  ]),
);

/** The published schema's verdict: every document of the file must validate (editors validate each). */
function schemaAccepts(c: Case): boolean {
  const validate = validators[c.schema];
  return parseAllDocuments(c.text).every((doc) => validate?.(doc.toJS()) === true);
}

/** The code's verdict: the loader the action uses, and for rollouts the canary action's own requirements. */
function loaderAccepts(c: Case): boolean {
  try {
    if (c.schema === 'rollout') {
      const spec = loadRolloutText(c.text, 'r.yaml');
      return spec.config.router.provider === 'local' || clusterRequirementProblems(spec.config).length === 0;
    }
    if (c.schema === 'services') parseManifest(c.text, 'glidepath.services.yml');
    else loadGateTexts([{ file: 'f.yaml', text: c.text }]);
    return true;
  } catch (e: unknown) {
    if (e instanceof ConfigurationError) return false;
    throw e;
  }
}

describe('schema/*.json and the loaders agree on one corpus', () => {
  it.each(cases.map((c) => [c.schema, c.name, c] as const))('%s: %s', (_schema, _name, c) => {
    expect(loaderAccepts(c)).toBe(c.valid);
    // A rule the schema can express must be in it; only the marked ones may be the loader's alone.
    expect(schemaAccepts(c)).toBe(c.loaderOnly ? true : c.valid);
  });
});
