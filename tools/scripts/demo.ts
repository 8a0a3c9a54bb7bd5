/**
 * The main job end to end, as a new user would do it: a fresh Nx workspace
 * (git repository) with the plugin, `nx g @nixiso:image` (flake layout with
 * home-manager), `nx run rescue:build` twice (the second is a cache hit), the
 * manifest, and `nx run rescue:boot-test` (the image booted in QEMU). Builds
 * against real nixpkgs when it is reachable, else offline against
 * tools/nix-fixtures — and says which.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorkspace } from '../testing/src';

/** The release of the offline stand-ins (tools/nix-fixtures/nixpkgs/.version). */
const OFFLINE_RELEASE = readFileSync(join(__dirname, '../nix-fixtures/nixpkgs/.version'), 'utf8').trim();

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return res.ok || res.status < 500;
  } catch {
    return false;
  }
}

function step(title: string, r: { status: number; output: string }): void {
  console.log(`\n$ ${title}\n${r.output.trim()}`);
  if (r.status !== 0) {
    console.error(`\nfailed: ${title}`);
    process.exit(r.status || 1);
  }
}

async function main(): Promise<void> {
  const ws = createTestWorkspace();
  console.log(`workspace: ${ws.root}`);
  const online = (await reachable('https://cache.nixos.org/nix-cache-info')) && (await reachable('https://github.com'));
  console.log(
    online
      ? '\nnixpkgs is reachable: building with real nixpkgs and home-manager'
      : '\nnixpkgs is not reachable from here: building OFFLINE against the stand-ins in tools/nix-fixtures (configuration "offline"), ' +
          `which are NixOS ${OFFLINE_RELEASE}: the image is generated for that release`,
  );
  // The stand-ins' home-manager accepts the home.stateVersion values of its own release branch only, as home-manager does.
  const release = online ? [] : [`--release=${OFFLINE_RELEASE}`];
  step(
    `npx nx g @nixiso:image images/rescue --flake --homeManager ${release.join(' ')} --no-interactive`.replace('  ', ' '),
    ws.nx(['g', '@nixiso:image', 'images/rescue', '--flake', '--homeManager', ...release, '--no-interactive']),
  );
  ws.git('add', '-A');
  ws.git('commit', '-qm', 'add the rescue image');
  const target = online ? 'rescue:build' : 'rescue:build:offline';
  step(`npx nx run ${target}`, ws.nx(['run', target]));
  step(`npx nx run ${target}   # again: an Nx cache hit, no Nix evaluation`, ws.nx(['run', target]));
  console.log(`\n$ cat dist/images/rescue/manifest.json\n${ws.read('dist/images/rescue/manifest.json')}`);
  console.log(`The image: ${ws.root}/${JSON.parse(ws.read('dist/images/rescue/manifest.json')).imagePath}`);
  // What users burn to a USB stick should have booted first: headless, in QEMU (KVM, else TCG).
  const boot = online ? 'rescue:boot-test' : 'rescue:boot-test:offline';
  step(`npx nx run ${boot}   # boots the image in QEMU, fails on a failed unit`, ws.nx(['run', boot]));
  console.log(`\n$ cat dist/images/rescue/boot-test.json\n${ws.read('dist/images/rescue/boot-test.json')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
