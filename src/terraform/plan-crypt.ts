import * as openpgp from 'openpgp';

/**
 * Saved plan files hold every sensitive value in clear, and artifacts can be
 * downloaded by anyone who can read the repository
 * (docs.github.com/actions/managing-workflow-runs/downloading-workflow-artifacts).
 * So the plan travels as an OpenPGP symmetrically encrypted message (RFC 9580
 * SKESK + SEIPD, which carries an integrity check: a changed byte fails
 * decryption) with a passphrase from a secret, and is decrypted only by the
 * apply job.
 */

export class PlanDecryptionError extends Error {}

export async function encryptPlan(plain: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: plain });
  return openpgp.encrypt({ message, passwords: [passphrase], format: 'binary' });
}

export async function decryptPlan(encrypted: Uint8Array, passphrase: string): Promise<Uint8Array> {
  try {
    const message = await openpgp.readMessage({ binaryMessage: encrypted });
    const { data } = await openpgp.decrypt({ message, passwords: [passphrase], format: 'binary' });
    return data;
  } catch (e: unknown) {
    throw new PlanDecryptionError(
      `the plan artifact cannot be decrypted with the plan-encryption-key secret (${e instanceof Error ? e.message : String(e)}): the plan and apply jobs must be given the same key, and the artifact must be the one the plan job uploaded`,
    );
  }
}
