import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendConfigSecrets } from '../../src/terraform/backend-config.js';

describe('backend-config values to mask', () => {
  it('takes the value of key=value entries and every literal of the files given, relative to the module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glidepath-backend-'));
    writeFileSync(
      join(dir, 'backend.hcl'),
      [
        'storage_account_name = "acmestate"',
        'sas_token            = "sv=2024-01-01&sig=AbCdEf0123%2B"',
        'use_azuread_auth     = true',
        'timeout_seconds      = 300',
        'assume_role = {',
        '  role_arn = "arn:aws:iam::123456789012:role/state"',
        '}',
        'client_certificate = <<EOT',
        'MIIBszCCAVmgAwIBAgIU',
        'EOT',
      ].join('\n'),
    );
    const secrets = await backendConfigSecrets(
      ['access_key=AKIAIOSFODNN7EXAMPLE', 'encrypt=true', 'backend.hcl', 'missing.hcl'],
      dir,
    );
    expect(secrets).toEqual(
      expect.arrayContaining([
        'AKIAIOSFODNN7EXAMPLE',
        'acmestate',
        'sv=2024-01-01&sig=AbCdEf0123%2B',
        'arn:aws:iam::123456789012:role/state',
        'MIIBszCCAVmgAwIBAgIU',
      ]),
    );
    expect(secrets).not.toContain('true');
    expect(secrets).not.toContain('300');
  });
});
