/**
 * The system a built image carries, for the manifest: its toplevel store
 * path and that path's closure size. Learned from the local store after the
 * build; what cannot be learned is left out with the reason, never failing
 * the build that produced the image.
 */
import { capture } from '../nix/process/run';
import {
  closureSizeCommand,
  isSystemDerivation,
  outermostSystems,
  outputsCommand,
  parseClosureSize,
  requisitesCommand,
  storePathLines,
} from '../nix/store/system-closure';

export interface SystemClosure {
  toplevel?: string;
  closureSize?: number;
  /** Why toplevel or closureSize is missing: one line. */
  note?: string;
}

const firstLine = (text: string) => text.trim().split('\n').pop()?.trim() || 'no message';

/** The toplevel built into `drvPath`'s output, and its closure size when the toplevel is in the local store. */
export async function systemClosure(drvPath: string | undefined, cwd: string): Promise<SystemClosure> {
  if (!drvPath) return { note: 'the image has no known derivation to find its system in' };
  const requisites = async (drv: string) => {
    const r = await capture(requisitesCommand(drv), cwd);
    if (r.exitCode !== 0) throw new Error(`nix-store --query --requisites ${drv} failed: ${firstLine(r.stderr)}`);
    return storePathLines(r.stdout);
  };
  let systemDrv: string;
  try {
    const candidates = (await requisites(drvPath)).filter(isSystemDerivation);
    if (!candidates.length) return { note: `no NixOS system (nixos-system-*.drv) among the derivations ${drvPath} was built from` };
    let roots = candidates;
    if (candidates.length > 1) {
      const of = new Map(await Promise.all(candidates.map(async (drv) => [drv, await requisites(drv)] as const)));
      roots = outermostSystems(candidates, (drv) => of.get(drv) ?? []);
    }
    if (roots.length !== 1) return { note: `${drvPath} was built from ${roots.length} separate NixOS systems (${roots.join(', ')}); none is recorded as its toplevel` };
    systemDrv = roots[0];
  } catch (e) {
    return { note: (e as Error).message };
  }

  const outputs = await capture(outputsCommand(systemDrv), cwd);
  const toplevel = outputs.exitCode === 0 ? storePathLines(outputs.stdout)[0] : undefined;
  if (!toplevel) return { note: `nix-store --query --outputs ${systemDrv} failed: ${firstLine(outputs.stderr)}` };

  const info = await capture(closureSizeCommand(toplevel), cwd);
  const closureSize = info.exitCode === 0 ? parseClosureSize(info.stdout, toplevel) : undefined;
  if (closureSize === undefined) {
    // A substituted image arrives without its system: the closure is then not in this store.
    const why = info.exitCode === 0 ? 'printed no closure size' : `failed: ${firstLine(info.stderr)}`;
    return { toplevel, note: `nix path-info --closure-size ${toplevel} ${why}` };
  }
  return { toplevel, closureSize };
}
