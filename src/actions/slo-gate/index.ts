import { runWithOutputs } from '../step-outputs.js';
import { run } from './main.js';

// `result` is promised on every path: a gate that could not be evaluated fails.
await runWithOutputs(() => run(), { result: 'fail' });
