import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `../shared/fixtures` beside the checkout: always there in CI, absent in a user's clone. */
export const sharedFixtures = join(repoRoot, '..', 'shared', 'fixtures');

export const hasSharedFixtures = existsSync(sharedFixtures);

if (!hasSharedFixtures) {
  console.warn(
    `NOTICE: ${sharedFixtures} is absent; tests that read the shared real-world corpora are skipped.`,
  );
}

export function sharedFixture(...parts: string[]): string {
  return join(sharedFixtures, ...parts);
}
