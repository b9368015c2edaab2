import * as core from '@actions/core';
import { MANIFEST_FILE } from '../../images/services.js';

export interface ChangesInputs {
  manifest: string;
  /** A manifest named explicitly must exist; the default one may be absent (then the convention applies). */
  manifestRequired: boolean;
  base: string;
  head: string;
  workingDirectory: string;
  registry: string;
}

export function getInputs(): ChangesInputs {
  const manifest = core.getInput('manifest') || MANIFEST_FILE;
  return {
    manifest,
    manifestRequired: manifest !== MANIFEST_FILE,
    base: core.getInput('base'),
    head: core.getInput('head'),
    workingDirectory: core.getInput('working-directory') || '.',
    registry: core.getInput('registry').replace(/\/+$/, ''),
  };
}
