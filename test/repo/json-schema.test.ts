import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedSchemas, renderJsonSchema } from '../../src/config/json-schema.js';
import { repoRoot } from '../support/shared-fixtures.js';

describe('schema/', () => {
  it.each(Object.keys(publishedSchemas))('%s is current (run `npm run schemas` when this fails)', (name) => {
    expect(readFileSync(join(repoRoot, 'schema', name), 'utf8')).toBe(renderJsonSchema(name));
  });
});
