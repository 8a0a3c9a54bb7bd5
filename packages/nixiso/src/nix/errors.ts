/**
 * Reading Nix's stderr after a failure: which derivation failed, which
 * error Nix reported, so the executor can say so in one place.
 */

export interface NixFailure {
  /** `/nix/store/…drv` of a builder that failed. */
  failedDerivation?: string;
  /** The `error:` block Nix printed (evaluation or build). */
  errorLines: string[];
  /** Files Nix could not see (untracked in a git flake, or missing). */
  missingPaths: string[];
}

const DRV = /\/nix\/store\/[0-9a-z]{32}-[^\s'"`]+\.drv/;

export function parseNixFailure(stderr: string): NixFailure {
  const lines = stderr.split('\n');
  let failedDerivation: string | undefined;
  const missingPaths: string[] = [];
  for (const line of lines) {
    if (/builder for .*failed|build of .* failed|Cannot build .*\.drv/.test(line)) {
      const m = DRV.exec(line);
      if (m && !failedDerivation) failedDerivation = m[0];
    }
    const missing = /path '([^']+)' does not exist/.exec(line);
    if (missing) missingPaths.push(missing[1]);
  }
  const start = lines.findIndex((l) => /^\s*error[:\s]/.test(l));
  const errorLines = start >= 0 ? lines.slice(start).filter((l) => l.trim() !== '') : [];
  return { failedDerivation, errorLines, missingPaths };
}
