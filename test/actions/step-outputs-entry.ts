// An action entry point for test/actions/step-outputs.test.ts: runs the body
// given in GLIDEPATH_TEST_BODY (the inside of an async run()) under
// runWithOutputs in its own process, as src/actions/<name>/index.ts does.
import * as core from '@actions/core';
import { runWithOutputs } from '../../src/actions/step-outputs.js';
import { ConfigurationError } from '../../src/config/errors.js';

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;
const body = new AsyncFunction('core', 'ConfigurationError', process.env.GLIDEPATH_TEST_BODY ?? '');
await runWithOutputs(() => body(core, ConfigurationError), { outcome: 'failed' });
