import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../nx/runtime';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  BINARY_CACHE_ENV,
  type BinaryCacheConfig,
  binaryCacheProblems,
  fileStoreDir,
  nixCopyCommand,
  nixSignCommand,
  pushFailureHint,
  type ResolvedBinaryCache,
  resolveBinaryCache,
  sourceOf,
} from '../../nix/store/binary-cache';
import { commandLine } from '../../nix/building/command';
import { parseNixFailure } from '../../nix/building/errors';
import { findExecutable, NIX_MISSING, runCommand } from '../../nix/process/run';
import { ensureImage } from '../../built-image/restore';
import { locateBuiltImage, readBuiltImage } from '../image-request';
import { executorResult, NixisoError } from '../executor-result';
import type { PushExecutorSchema } from './schema';

export interface PushResult {
  storePath: string;
  url: string;
  /** Name of the key the image was signed with. */
  signedBy?: string;
}

export default async function pushExecutor(options: PushExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return executorResult(async () => {
    const pushed = await push(options, context);
    logger.info(`nixiso: pushed ${pushed.storePath} to ${pushed.url}${pushed.signedBy ? ` (signed by ${pushed.signedBy})` : ' (unsigned)'}`);
  });
}

/** The secret key file, absolute, checked: it exists, can be read and looks like a Nix secret key. */
function secretKey(cache: ResolvedBinaryCache, workspaceRoot: string): { path: string; name: string } | undefined {
  if (!cache.secretKeyFile) return undefined;
  const path = resolve(workspaceRoot, cache.secretKeyFile);
  const source = sourceOf(cache, 'secretKeyFile');
  if (!existsSync(path)) {
    throw new NixisoError(
      `the secret key file ${path} (${source}) does not exist. Create a key pair with ` +
        `\`nix-store --generate-binary-cache-key <cache-name>-1 ${cache.secretKeyFile} ${cache.secretKeyFile}.pub\` ` +
        `and trust the .pub key where images are pulled, or unset ${source} to push unsigned`,
    );
  }
  let content: string;
  try {
    accessSync(path, constants.R_OK);
    content = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new NixisoError(`the secret key file ${path} (${source}) cannot be read: ${(e as Error).message}`);
  }
  const match = /^([^:\s]+):[A-Za-z0-9+/]+={0,2}$/.exec(content);
  if (!match) {
    throw new NixisoError(
      `${path} (${source}) is not a Nix secret key (one line name:base64, as written by nix-store --generate-binary-cache-key)`,
    );
  }
  return { path, name: match[1] };
}

/** A file:// cache must be a directory this user can write, before Nix tries. */
function checkFileStore(cache: ResolvedBinaryCache & { url: string }): void {
  const dir = fileStoreDir(cache.url);
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'is not writable' : 'cannot be created';
    throw new NixisoError(
      `cannot push to ${cache.url} (${sourceOf(cache, 'url')}): the directory ${dir} ${why} (${(e as Error).message})`,
    );
  }
}

function nixError(stderr: string, exitCode: number): string {
  const lines = parseNixFailure(stderr).errorLines;
  return lines.length ? lines.slice(0, 20).join('\n') : `exit code ${exitCode}`;
}

/** The push options that configure the binary cache. */
function binaryCacheOptions(options: PushExecutorSchema): BinaryCacheConfig {
  const { outputPath: _outputPath, ...binaryCache } = options;
  return binaryCache;
}

export async function push(options: PushExecutorSchema, context: ExecutorContext): Promise<PushResult> {
  const image = locateBuiltImage(options.outputPath, context, 'push');
  const manifest = readBuiltImage(image, 'push', 'copies');
  const cache = resolveBinaryCache([{ source: `${context.projectName}:push options (binaryCache in nx.json, or the project's push target)`, config: binaryCacheOptions(options) }], process.env);
  if (!cache.url) {
    throw new NixisoError(
      'no binary cache to push to: set "binaryCache": { "url": "file:///…" } in the @nixiso/nx plugin options in nx.json, ' +
        `the "url" option of ${context.projectName}:push, or ${BINARY_CACHE_ENV.url}`,
    );
  }
  const problems = binaryCacheProblems(cache, 'push');
  if (problems.length) throw new NixisoError(problems.join('\n'));
  if (!findExecutable('nix') || !findExecutable('nix-store')) throw new NixisoError(NIX_MISSING);
  const key = secretKey(cache, context.root);

  // The build may have been a cache hit in this very run, its image not back yet: the hook runs only after all tasks.
  try {
    const { warning } = await ensureImage(manifest, image.scope, cache, image.buildTask);
    if (warning) logger.warn(`nixiso: warning: ${warning}`);
  } catch (e) {
    throw new NixisoError((e as Error).message);
  }
  const url = cache.url;
  checkFileStore({ ...cache, url });

  if (key) {
    const sign = nixSignCommand(key.path, manifest.storePath);
    logger.info(`> ${commandLine(sign)}`);
    const signed = await runCommand(sign, { cwd: context.root, env: process.env });
    if (signed.exitCode !== 0) {
      throw new NixisoError(
        `signing ${manifest.storePath} with ${key.path} (${sourceOf(cache, 'secretKeyFile')}) failed:\n${nixError(signed.stderr, signed.exitCode)}` +
          (/not.*trusted|permission|denied/i.test(signed.stderr)
            ? '\nhint: with a Nix daemon, signing the local store needs a trusted user (trusted-users in /etc/nix/nix.conf)'
            : ''),
      );
    }
  } else {
    logger.warn(
      `nixiso: pushing unsigned: machines pulling from ${url} need require-sigs = false; ` +
        `set "secretKeyFile" (or ${BINARY_CACHE_ENV.secretKeyFile}) to sign`,
    );
  }

  const copy = nixCopyCommand(url, manifest.storePath);
  logger.info(`> ${commandLine(copy)}`);
  const copied = await runCommand(copy, { cwd: context.root, env: process.env });
  if (copied.interruptedBy) throw new NixisoError(`interrupted by ${copied.interruptedBy}; nix copy was stopped`);
  if (copied.exitCode !== 0) {
    throw new NixisoError(
      `cannot push to ${url} (${sourceOf(cache, 'url')}): nix copy failed:\n${nixError(copied.stderr, copied.exitCode)}\n` +
        `hint: ${pushFailureHint(url)}`,
    );
  }
  return { storePath: manifest.storePath, url, signedBy: key?.name };
}
