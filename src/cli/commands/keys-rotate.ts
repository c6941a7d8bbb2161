import { rotateKeys, VaultError } from '../../security/vault/index.js';
import { CliError, EXIT, println, withHearth, type CliIo } from '../io.js';

/**
 * `hearth keys rotate`: with the new key in HEARTH_MASTER_KEY and the old one in
 * HEARTH_MASTER_KEY_PREVIOUS, re-encrypts every sealed value in one transaction (DATA-1).
 */
export async function keysRotate(_args: string[], io: CliIo): Promise<number> {
  return withHearth(io, async (hearth) => {
    if (!hearth.vault.previousKeyId)
      throw new CliError(
        'set HEARTH_MASTER_KEY to the new key and HEARTH_MASTER_KEY_PREVIOUS to the old one, then run keys rotate',
        EXIT.usage,
      );
    try {
      const report = await rotateKeys(hearth.storage, hearth.vault);
      const total = Object.values(report.resealed).reduce((a, b) => a + b, 0);
      await hearth.audit.record({
        actor: { type: 'system' },
        action: 'keys.rotate',
        outcome: 'success',
        details: { from: hearth.vault.previousKeyId, to: hearth.vault.keyId, resealed: total },
      });
      for (const [col, n] of Object.entries(report.resealed)) println(io.stdout, `${col}\t${n} re-encrypted`);
      println(
        io.stdout,
        `rotated ${total} values to key ${hearth.vault.keyId}; ${report.current} were already current. Remove HEARTH_MASTER_KEY_PREVIOUS now.`,
      );
      return EXIT.ok;
    } catch (err) {
      if (err instanceof VaultError) throw new CliError(`rotation aborted, nothing changed: ${err.message}`);
      throw err;
    }
  });
}
