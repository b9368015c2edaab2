import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory holding the fake `terraform` and `tofu` executables, to put first on PATH. */
export const fakeTerraformDir = dirname(fileURLToPath(import.meta.url));
export const fakeTerraformBinary = join(fakeTerraformDir, 'terraform');
