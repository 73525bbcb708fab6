/**
 * The version every emission and view names: the model snapshot's, and —
 * when the deployment gives its own segment rules (a rules file) — a digest of
 * those rules beside it, so that the same version always means the same
 * scoring and a replay with the same version reproduces the output exactly.
 */
import type { DomainParameters } from './parameters.js';
import type { ModelSnapshot } from './model-snapshot.js';

export function effectiveModelVersion(model: ModelSnapshot, parameters: DomainParameters): string {
  return parameters.rulesDigest === undefined ? model.version : `${model.version}+rules-${parameters.rulesDigest}`;
}
