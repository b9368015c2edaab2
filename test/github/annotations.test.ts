import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { failStep } from '../../src/github/annotations.js';

function captureStdout(work: () => void): string {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    work();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('failStep', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('annotates each configuration problem once, on its file, and fails the step', () => {
    const out = captureStdout(() =>
      failStep(
        new ConfigurationError([
          {
            file: 'infra/.terraform-version',
            line: 1,
            field: '.terraform-version',
            message: 'is not a version',
          },
        ]),
      ),
    );
    const errors = out.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('file=infra/.terraform-version');
    expect(process.exitCode).toBe(1);
  });

  it("fails the step with one annotation for an error that is not the user's", () => {
    const out = captureStdout(() => failStep(new Error('boom')));
    expect(out.split('\n').filter((l) => l.startsWith('::error'))).toEqual(['::error::boom']);
    expect(process.exitCode).toBe(1);
  });
});
