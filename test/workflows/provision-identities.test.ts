import { describe, expect, it } from 'vitest';
import { readYaml } from '../support/workflow-files.js';

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string>;
  steps?: Step[];
}
interface Doc {
  on: { workflow_call: { inputs: Record<string, unknown>; secrets?: Record<string, unknown> } };
  jobs: Record<string, Job>;
}

const file = '.github/workflows/platform-provision.yml';
const doc = readYaml<Doc>(file);
const login = (job: string) =>
  (doc.jobs[job]?.steps ?? []).find((s) => s.uses?.endsWith('/actions/cluster-login'))?.with ?? {};
const identityInputs = (w: Record<string, string>) =>
  Object.values(w)
    .flatMap((v) => [...String(v).matchAll(/inputs\.([a-z0-9-]+)/g)].map((m) => m[1] as string))
    .filter((name) => /role-arn|client-id|service-account/.test(name));

describe('platform-provision: separate plan and apply identities, one encrypted plan artifact', () => {
  it('logs the plan job (which runs pull-request code) in with the plan identity only', () => {
    expect(identityInputs(login('plan')).sort()).toEqual([
      'aws-plan-role-arn',
      'azure-plan-client-id',
      'gcp-plan-service-account',
    ]);
  });

  it.each(['apply', 'upgrade'])('logs the %s job in with the apply identity', (job) => {
    expect(identityInputs(login(job)).sort()).toEqual([
      'aws-apply-role-arn',
      'azure-apply-client-id',
      'gcp-apply-service-account',
    ]);
  });

  it('no longer offers one identity for both', () => {
    const inputs = Object.keys(doc.on.workflow_call.inputs);
    expect(inputs).not.toContain('aws-role-arn');
    expect(inputs).not.toContain('azure-client-id');
    expect(inputs).not.toContain('gcp-service-account');
  });

  it('uploads the plan only through the terraform action (encrypted), and downloads it only in TypeScript', () => {
    for (const [id, job] of Object.entries(doc.jobs)) {
      for (const step of job.steps ?? []) {
        expect(step.uses ?? '', `jobs.${id}`).not.toMatch(/actions\/(upload|download)-artifact/);
        expect(step.run ?? '', `jobs.${id}`).not.toMatch(/actions\/artifacts|gh api|sha256sum/);
      }
    }
    expect(doc.on.workflow_call.secrets?.['plan-encryption-key']).toBeDefined();
    for (const job of ['plan', 'apply', 'upgrade']) {
      const provision = (doc.jobs[job]?.steps ?? []).filter((s) => s.uses?.endsWith('/actions/provision'));
      expect(provision, job).toHaveLength(1);
      expect(provision[0]?.env?.GLIDEPATH_PLAN_ENCRYPTION_KEY).toMatch(
        /^\$\{\{ secrets\.plan-encryption-key \}\}$/,
      );
    }
  });

  it('lets the jobs that read artifacts through the API do so, and only those', () => {
    expect(doc.jobs.apply?.permissions?.actions).toBe('read');
    expect(doc.jobs.upgrade?.permissions?.actions).toBe('read');
    expect(doc.jobs.plan?.permissions?.actions).toBeUndefined();
  });
});
