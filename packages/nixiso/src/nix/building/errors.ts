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

const VARIANT_REFUSAL = /supported image variants via --image-variant:/i;

/**
 * The variants `nixos-rebuild build-image` listed when it refused the one
 * asked for, or undefined when it failed otherwise. nixos-rebuild.sh prints
 * the names on stdout, one a line, after its message on stderr;
 * nixos-rebuild-ng prints `- <name>` lines after the message on stderr.
 */
export function refusedImageVariants(stdout: string, stderr: string): string[] | undefined {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => VARIANT_REFUSAL.test(l));
  if (at < 0) return undefined;
  const listed = lines.slice(at + 1).map((l) => /^\s*- (\S+)\s*$/.exec(l)?.[1]).filter((v): v is string => !!v);
  if (listed.length) return listed;
  return stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('/'));
}
