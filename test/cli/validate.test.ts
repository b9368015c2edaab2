import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/cli/validate-command.js';
import { repoRoot } from '../support/shared-fixtures.js';

describe('glidepath validate, offline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-validate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  };

  it('lists every problem of every kind of file at once, with file, line and fix', () => {
    const rollout = write(
      'rollout.yaml',
      'service: shop\nrouter: { provider: istio, virtualService: shop }\nsteps: [50, 10]\nanalysis:\n  checks: [{ name: e, query: up, max: 1 }]\n',
    );
    const services = write(
      'repo/glidepath.services.yml',
      'services:\n  - name: api\n    path: src/api\n    dependsOn: [libs/gone]\n',
    );
    write('repo/src/api/Dockerfile', 'FROM scratch\n');
    const flagger = write(
      'canary.yaml',
      'apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: { name: shop }\nspec: {}\n',
    );
    const slo = write('slo.yaml', '- apiVersion: openslo/v1\n  kind: Service\n  metadata: { name: shop }\n');
    const { problems, checked } = validateFiles([rollout, services, flagger, slo, join(dir, 'gone.yaml')]);
    const shown = problems.map(
      (p) => `${p.file?.replace(`${dir}/`, '')}:${p.line ?? ''} ${p.field ?? ''}: ${p.message}`,
    );
    expect(shown).toEqual([
      expect.stringMatching(/^rollout\.yaml:3 steps: must rise step by step/),
      expect.stringMatching(
        /^glidepath\.services\.yml:4 services\[0\]\.dependsOn\[0\]: path "libs\/gone" does not exist/,
      ),
      expect.stringMatching(
        /^canary\.yaml: : is a Canary of flagger\.app, not a glidepath file: .*glidepath import flagger/,
      ),
      'gone.yaml: : cannot read the file (no such file); check the path',
      expect.stringMatching(
        /^slo\.yaml: : holds no kind: Gate or kind: SLO document, so there is nothing to judge/,
      ),
    ]);
    expect(checked.map((c) => c.kind)).toEqual(['rollout', 'services', 'gate']);
  });

  it("applies the canary action's requirements to a rollout, and accepts the playground's config with a notice", () => {
    const rollout = write(
      'no-source.yaml',
      'service: shop\nrouter: { provider: istio, virtualService: shop }\nanalysis:\n  checks: [{ name: e, query: up, max: 1 }]\n',
    );
    const { problems, notices } = validateFiles([rollout, join(repoRoot, 'playground/rollout.yml')]);
    expect(problems.map((p) => `${p.line} ${p.field}: ${p.message}`)).toEqual([
      expect.stringMatching(/^4 analysis\.source: is required: where the canary's metrics come from/),
    ]);
    expect(notices.map((n) => n.message)).toEqual([expect.stringMatching(/^local: a playground config/)]);
  });
});
