/**
 * Can this machine build an image for its hostPlatform? The most common
 * nixos-generators complaint is an aarch64 image "built" on x86_64 without a
 * builder or emulation, failing deep inside Nix with "a 'aarch64-linux' with
 * features {} is required". Pure: the build executor gathers the facts
 * (`nix show-config`, /proc/sys/fs/binfmt_misc) and prints what this returns.
 */

const NODE_ARCH: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i686',
  riscv64: 'riscv64',
  ppc64: 'powerpc64le',
  loong64: 'loongarch64',
};

/** The Nix system of the machine Node runs on (`x86_64-linux`), when Nix has one for it. */
export function nodeSystem(arch: string = process.arch, platform: string = process.platform): string | undefined {
  const cpu = NODE_ARCH[arch];
  return cpu && (platform === 'linux' || platform === 'darwin') ? `${cpu}-${platform}` : undefined;
}

/**
 * The system an image targets, from its Nix sources: `nixpkgs.hostPlatform =
 * "…"`, `nixpkgs.hostPlatform.system = "…"`, `nixpkgs.hostPlatform = { system
 * = "…"; }`, the older `nixpkgs.system = "…"`, or `system = "…"` given to
 * `nixosSystem` in flake.nix. Comments are ignored; a computed value is not
 * guessed at.
 */
export function hostPlatformOf(source: string): string | undefined {
  const code = source.replace(/#[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const patterns = [
    /nixpkgs\.hostPlatform(?:\.system)?\s*=\s*(?:lib\.mkDefault\s+|lib\.mkForce\s+)?"([^"$]+)"/,
    /nixpkgs\.hostPlatform\s*=\s*\{[^}]*\bsystem\s*=\s*"([^"$]+)"/,
    /hostPlatform(?:\.system)?\s*=\s*(?:lib\.mkDefault\s+|lib\.mkForce\s+)?"([^"$]+)"/,
    /nixpkgs\.system\s*=\s*"([^"$]+)"/,
    /nixosSystem\s*\{[^]*?\bsystem\s*=\s*"([^"$]+)"/,
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(code);
    if (match) return match[1];
  }
  return undefined;
}

/** The systems remote builders offer: `builders` lines (`uri systems key jobs …`, `;` or newline separated). */
export function builderSystems(machines: string, localSystem: string): string[] {
  const systems: string[] = [];
  for (const line of machines.split(/[;\n]/)) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (!fields.length || fields[0].startsWith('@')) continue;
    const field = fields[1];
    systems.push(...(!field || field === '-' ? [localSystem] : field.split(',')));
  }
  return [...new Set(systems)];
}

export interface BuildMachine {
  /** Nix's `system` setting. */
  system: string;
  /** Nix's `extra-platforms` setting plus the build's extraPlatforms option. */
  extraPlatforms: readonly string[];
  /** Systems the configured remote builders offer. */
  builderSystems: readonly string[];
  /** Registered binfmt_misc interpreters, by entry name (`qemu-aarch64`). */
  binfmt: readonly string[];
}

/** `aarch64-linux` → `aarch64`. */
const cpuOf = (system: string) => system.split('-')[0];

/**
 * A warning when the image cannot be built here as configured: its system is
 * not the machine's, no remote builder offers it and Nix may not use
 * emulation for it. Undefined when the build can go ahead.
 */
export function crossBuildWarning(target: string, machine: BuildMachine, source: string): string | undefined {
  if (target === machine.system || machine.extraPlatforms.includes(target) || machine.builderSystems.includes(target)) {
    return undefined;
  }
  const cpu = cpuOf(target);
  const emulated = machine.binfmt.some((entry) => entry === `qemu-${cpu}` || entry === cpu);
  const fixes = [
    `a remote builder: option "builders": ["ssh-ng://user@host ${target}"] (with "maxJobs": 0 to build nothing here), or \`builders\` in nix.conf`,
    emulated
      ? `use the QEMU emulation this machine has (binfmt_misc/qemu-${cpu}): option "extraPlatforms": ["${target}"], or \`extra-platforms = ${target}\` in nix.conf (add \`extra-sandbox-paths\` for the interpreter when the sandbox is on)`
      : `QEMU emulation: on NixOS \`boot.binfmt.emulatedSystems = [ "${target}" ];\`, elsewhere \`apt-get install qemu-user-static binfmt-support\` and \`extra-platforms = ${target}\` in nix.conf (or option "extraPlatforms")`,
  ];
  return (
    `the image is for ${target} (${source}) but this machine is ${machine.system}, ` +
    `and Nix has no builder for ${target}${emulated ? ' and does not use the emulation registered here' : ' and no emulation'}; ` +
    `anything built for it here (the image itself at least) fails with "a '${target}' … is required to build". Configure one of:\n` +
    fixes.map((fix) => `  - ${fix}`).join('\n')
  );
}
