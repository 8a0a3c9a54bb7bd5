/**
 * nx.json `targetDefaults` apply on top of inferred targets: an entry for the
 * target name `build` (what create-nx-workspace writes) replaces the inputs,
 * outputs and dependsOn nixiso infers for an image's build target, and with
 * them what its cache hits and `nx affected` rest on. An entry keyed by the
 * executor wins over the one keyed by the target name, so `init` writes one
 * per nixiso executor; the executors and `doctor` warn when it is missing and
 * a target-name entry would apply.
 */
import type { NxJsonConfiguration } from '@nx/devkit';

/** The fields whose replacement changes what a cache hit or `nx affected` means. */
const GUARDED_FIELDS = ['inputs', 'outputs', 'dependsOn', 'cache'] as const;

export const IMAGE_EXECUTORS = ['@nixiso/nx:build', '@nixiso/nx:eval'] as const;

/**
 * Which targetDefaults entry replaces the inferred fields of an image target,
 * and which fields; undefined when none does (an executor-keyed entry exists,
 * or no entry for the name sets a guarded field).
 */
export function overridingTargetDefault(
  nxJson: Pick<NxJsonConfiguration, 'targetDefaults'> | undefined,
  targetName: string,
  executor: string,
): { key: string; fields: string[] } | undefined {
  const defaults = (nxJson?.targetDefaults ?? {}) as Record<string, unknown>;
  if (defaults[executor] !== undefined) return undefined;
  const entry = defaults[targetName];
  const entries = (Array.isArray(entry) ? entry : entry ? [entry] : []) as Record<string, unknown>[];
  const fields = GUARDED_FIELDS.filter((field) => entries.some((e) => e && e[field] !== undefined));
  return fields.length ? { key: targetName, fields } : undefined;
}

/** The warning for an overridden image target, with the fix. */
export function overriddenTargetWarning(project: string, targetName: string, executor: string, override: { key: string; fields: string[] }): string {
  return (
    `targetDefaults["${override.key}"] in nx.json replaces the ${override.fields.join(', ')} that nixiso infers for ${project}:${targetName}, ` +
    'so its cache hits and `nx affected` may miss files the image reads. ' +
    `Add "${executor}": { "cache": true } to targetDefaults (nx g @nixiso/nx:init does); an entry keyed by the executor wins over one keyed by the target name`
  );
}

/**
 * The warning for the running image target, when a target-name entry of
 * targetDefaults replaced what nixiso inferred for it; undefined otherwise.
 */
export function overriddenTargetWarningFor(context: {
  projectName?: string;
  targetName?: string;
  nxJsonConfiguration?: Pick<NxJsonConfiguration, 'targetDefaults'>;
  projectsConfigurations?: { projects: Record<string, { targets?: Record<string, { executor?: string }> }> };
}): string | undefined {
  const { projectName, targetName } = context;
  if (!projectName || !targetName) return undefined;
  const executor = context.projectsConfigurations?.projects[projectName]?.targets?.[targetName]?.executor;
  if (!executor) return undefined;
  const override = overridingTargetDefault(context.nxJsonConfiguration, targetName, executor);
  return override ? overriddenTargetWarning(projectName, targetName, executor, override) : undefined;
}
