import { runWithOutputs } from '../step-outputs.js';
import { post } from './cleanup.js';
import { run } from './main.js';
import { isPost, saveIsPost } from './state.js';

// action.yml points main and post at this one bundle, so the canary code ships once.
if (isPost()) {
  await post();
} else {
  saveIsPost();
  await runWithOutputs(() => run(), { outcome: 'failed' });
}
