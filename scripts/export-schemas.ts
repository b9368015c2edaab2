// Writes the JSON Schemas of the config files to schema/ (a test checks they are current).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishedSchemas, renderJsonSchema } from '../src/config/json-schema.js';

for (const name of Object.keys(publishedSchemas)) {
  writeFileSync(join(import.meta.dirname, '..', 'schema', name), renderJsonSchema(name));
  console.log(`schema/${name}`);
}
