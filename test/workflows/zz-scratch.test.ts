import { it } from 'vitest';
import { workflowErrors } from '../support/github-yaml.js';
it('x', () => { console.log(JSON.stringify(workflowErrors('/tmp/t.yml'))); });
