import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { VENDOR_KEY_FINGERPRINTS, vendorKey } from '../../src/terraform/vendor-keys.js';

// The shipped keys must be exactly the vendors' published keys: a corrupted or
// substituted copy changes the fingerprint.
describe('vendor release keys', () => {
  it.each(['terraform', 'tofu'] as const)(
    'the %s key has the fingerprint its vendor publishes',
    async (tool) => {
      const key = await openpgp.readKey({ armoredKey: vendorKey(tool) });
      expect(key.getFingerprint()).toBe(VENDOR_KEY_FINGERPRINTS[tool]);
      expect(key.isPrivate()).toBe(false);
    },
  );
});
