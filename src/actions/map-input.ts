import { parse } from 'yaml';
import { ConfigurationError } from '../config/errors.js';

/**
 * Reads an input holding a YAML map of strings (`service: payments`), or
 * `Name: value` lines, which are the same thing in YAML.
 */
export function parseMapInput(text: string, input: string): Record<string, string> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = parse(text);
  } catch (e: unknown) {
    throw new ConfigurationError([
      { field: input, message: `is not a YAML map: ${(e as Error).message.split('\n')[0]}` },
    ]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError([
      { field: input, message: 'must be a YAML map such as "service: payments" (one entry per line)' },
    ]);
  }
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'object' && entry !== null) {
      throw new ConfigurationError([
        { field: `${input}.${key}`, message: 'must be a plain value (text or number), not a list or map' },
      ]);
    }
    map[key] = entry === null ? '' : String(entry);
  }
  return map;
}
