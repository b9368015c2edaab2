import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { parseManifest, servicesByConvention } from '../../src/images/services.js';

function problems(text: string) {
  try {
    parseManifest(text, 'glidepath.services.yml');
  } catch (e: unknown) {
    if (e instanceof ConfigurationError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigurationError');
}

describe('services manifest', () => {
  it('fills dockerfile and context from the path and normalises paths', () => {
    const services = parseManifest(
      'services:\n  - name: api\n    path: services/api/\n    dependsOn: [libs/common/, ./proto]\n',
      'glidepath.services.yml',
    );
    expect(services).toEqual([
      {
        name: 'api',
        path: 'services/api',
        dockerfile: 'services/api/Dockerfile',
        context: 'services/api',
        dependsOn: ['libs/common', 'proto'],
      },
    ]);
  });

  it('names the file, field and line of a misspelt key', () => {
    const [p] = problems('services:\n  - name: api\n    path: services/api\n    dependson: [libs]\n');
    expect(p).toMatchObject({ file: 'glidepath.services.yml', field: 'services[0]' });
    expect(p?.message).toMatch(/dependson/);
  });

  it('refuses a name that cannot be an image name, with its line', () => {
    const [p] = problems('services:\n  - name: api\n    path: a\n  - name: Payments API\n    path: b\n');
    expect(p).toMatchObject({ field: 'services[1].name', line: 4 });
    expect(p?.message).toMatch(/lowercase/);
  });

  it('refuses paths that leave the working directory', () => {
    const [p] = problems('services:\n  - name: api\n    path: ../elsewhere\n');
    expect(p).toMatchObject({ field: 'services[0].path', line: 3 });
  });

  it('refuses a missing path and duplicate names', () => {
    expect(problems('services:\n  - name: api\n')[0]).toMatchObject({ field: 'services[0].path' });
    expect(problems('services:\n  - name: api\n    path: a\n  - name: api\n    path: b\n')[0]).toMatchObject({
      field: 'services[1].name',
    });
  });

  it('reports YAML syntax errors with their line', () => {
    const [p] = problems('services:\n  - name: api\n   path: [unclosed\n');
    expect(p?.message).toMatch(/not valid YAML/);
    expect(p?.line).toBeGreaterThan(0);
  });

  it('refuses an empty manifest', () => {
    expect(problems('services: []\n')[0]).toMatchObject({ field: 'services' });
  });

  it('takes every services/<folder>/Dockerfile by convention, and nothing deeper', () => {
    const names = servicesByConvention([
      'services/b/Dockerfile',
      'services/a/Dockerfile',
      'services/a/nested/Dockerfile',
      'services/c/README.md',
      'Dockerfile',
    ]).map((s) => s.name);
    expect(names).toEqual(['a', 'b']);
  });
});
