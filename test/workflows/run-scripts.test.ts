import { describe, expect, it } from 'vitest';
import {
  actionFiles,
  callerTemplates,
  type RunSite,
  repoWorkflows,
  runSites,
} from '../support/workflow-files.js';

/**
 * `${{ }}` inside `run:` is pasted into the script before the shell sees it,
 * so a branch name or PR title can run commands (script injection); values
 * travel as `env:` variables instead.
 */
function splicedExpressions(site: RunSite): string[] {
  return [...site.run.matchAll(/\$\{\{[\s\S]*?\}\}/g)].map((m) => m[0]);
}

const sites = [...repoWorkflows, ...callerTemplates, ...actionFiles].flatMap(runSites);

describe('run: scripts in the workflows, caller templates and composite actions', () => {
  it('are found', () => {
    expect(sites.length).toBeGreaterThan(10);
    const files = new Set(sites.map((site) => site.file));
    expect(files).toContain('.github/workflows/service-delivery.yml');
    expect(files).toContain('actions/build/action.yml');
  });

  it(`splice no \${{ }} expression into the script`, () => {
    const offenders = sites
      .filter((site) => splicedExpressions(site).length > 0)
      .map((site) => `${site.file} ${site.where}: ${splicedExpressions(site).join(', ')}`);
    expect(offenders).toEqual([]);
  });

  it('the check catches an expression spliced into a script', () => {
    const site: RunSite = {
      file: 'x.yml',
      where: 'jobs.x > step 1',
      run: `echo "\${{ github.head_ref }}"\n`,
    };
    expect(splicedExpressions(site)).toEqual([`\${{ github.head_ref }}`]);
  });
});
