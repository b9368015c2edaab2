import { readFileSync } from 'node:fs';
import { validateAction } from '@action-validator/core';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';

/** Errors GitHub's own workflow parser reports for a workflow file (with line and column). */
export function workflowErrors(file: string): string[] {
  const result = parseWorkflow(
    { name: file, content: readFileSync(file, 'utf8') },
    new NoOperationTraceWriter(),
  );
  return result.context.errors.getErrors().map((e) => e.message);
}

/**
 * Errors for an action.yml from GitHub's own action schema (workflow-parser)
 * and from the JSON Schema of @action-validator/core. The latter does not yet
 * know `node24`, so it checks a copy that says `node20`; node24 itself is
 * checked by the first.
 */
export function actionErrors(file: string): string[] {
  const content = readFileSync(file, 'utf8');
  const parsed = parseAction({ name: file, content }, new NoOperationTraceWriter());
  const github = parsed.context.errors.getErrors().map((e) => e.message);
  const schema = validateAction(content.replace(/using: ['"]?node24['"]?/, 'using: node20')).errors.map(
    (e: { path?: string; title?: string; detail?: string }) =>
      `${e.path ?? ''} ${e.title ?? ''} ${e.detail ?? ''}`.trim(),
  );
  return [...github, ...schema];
}
