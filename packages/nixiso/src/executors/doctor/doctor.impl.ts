import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../nx/runtime';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { doctorChecks, renderDoctorReport } from './checks';
import type { BuildExecutorSchema } from '../image-build/schema';
import { withBuildDefaults } from '../build-options';
import { gatherFacts } from './facts';
import { IMAGE_EXECUTORS, overriddenTargetWarningFor } from '../../nx/target-defaults';
import type { DoctorExecutorSchema } from './schema';

/**
 * The build options the checks assume: the build target's options, its
 * configuration (the doctor's own one by default), then the doctor's own
 * options on top.
 */
export function buildOptionsFor(options: DoctorExecutorSchema, context: ExecutorContext): BuildExecutorSchema {
  const project = context.projectsConfigurations.projects[context.projectName as string];
  const target = project?.targets?.[options.buildTarget ?? 'build'];
  const configuration = options.buildConfiguration ?? context.configurationName;
  const fromBuild: BuildExecutorSchema = {
    ...target?.options,
    ...(configuration ? target?.configurations?.[configuration] : undefined),
  };
  const own = Object.fromEntries(
    (['backend', 'format', 'system', 'builders', 'extraPlatforms', 'nixOptions'] as const)
      .filter((key) => options[key] !== undefined)
      .map((key) => [key, options[key]]),
  );
  return { ...fromBuild, ...own };
}

/** The image targets of this project whose inferred cache inputs a targetDefaults entry of nx.json replaces. */
function overriddenImageTargets(context: ExecutorContext): { target: string; warning: string }[] {
  const targets = context.projectsConfigurations.projects[context.projectName as string]?.targets ?? {};
  return Object.entries(targets).flatMap(([name, target]) => {
    if (!(IMAGE_EXECUTORS as readonly string[]).includes(target.executor ?? '')) return [];
    const warning = overriddenTargetWarningFor({ ...context, targetName: name });
    return warning ? [{ target: name, warning }] : [];
  });
}

export default async function doctorExecutor(
  options: DoctorExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const projectName = context.projectName;
  if (!projectName) {
    logger.error('nixiso: the doctor executor must run as a project target (nx run <image>:doctor)');
    return { success: false };
  }
  const projectRoot = context.projectsConfigurations.projects[projectName].root;
  const imageRoot = resolve(context.root, projectRoot);
  const build = withBuildDefaults(buildOptionsFor(options, context));
  const kind = existsSync(join(imageRoot, 'flake.nix')) ? 'flake' : 'channel';
  const { backend, format } = build;

  const facts = await gatherFacts({
    imageRoot,
    projectRoot,
    kind,
    backend,
    format,
    system: build.system,
    builders: build.builders ?? [],
    extraPlatforms: build.extraPlatforms ?? [],
    nixOptions: build.nixOptions ?? {},
    env: process.env,
    substituterTimeoutMs: options.substituterTimeoutMs ?? 3000,
  });
  const nixiso = (context.projectsConfigurations.projects[projectName].metadata as { nixiso?: { configurations?: string[]; undecided?: string[] } } | undefined)?.nixiso;
  const discovery = { configurations: nixiso?.configurations ?? [], undecided: nixiso?.undecided ?? [] };
  const results = doctorChecks({ ...facts, overriddenTargets: overriddenImageTargets(context), discovery });
  const heading = `nixiso doctor: ${projectName} (${projectRoot}: ${kind} image, ${format}, backend ${backend})`;
  const report = renderDoctorReport(heading, results);
  logger.info(report);
  const failing = results.filter((r) => r.status === 'fail' || (options.failOnWarn && r.status === 'warn'));
  if (failing.length) {
    logger.error(`nixiso: doctor: ${failing.map((r) => r.title).join(', ')} ${failing.length === 1 ? 'needs' : 'need'} fixing before ${projectName} can be built here`);
  }
  return { success: !failing.length };
}
