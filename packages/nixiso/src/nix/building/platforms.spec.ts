import { builderSystems, crossBuildWarning, hostPlatformOf, nodeSystem } from './platforms';

describe('nodeSystem', () => {
  it('maps Node architectures to Nix systems', () => {
    expect(nodeSystem('x64', 'linux')).toBe('x86_64-linux');
    expect(nodeSystem('arm64', 'linux')).toBe('aarch64-linux');
    expect(nodeSystem('arm64', 'darwin')).toBe('aarch64-darwin');
    expect(nodeSystem('x64', 'win32')).toBeUndefined();
    expect(nodeSystem('s390', 'linux')).toBeUndefined();
  });
});

describe('hostPlatformOf', () => {
  it('reads the forms a configuration.nix uses', () => {
    expect(hostPlatformOf('{ nixpkgs.hostPlatform = "aarch64-linux"; }')).toBe('aarch64-linux');
    expect(hostPlatformOf('{ nixpkgs.hostPlatform = lib.mkDefault "aarch64-linux"; }')).toBe('aarch64-linux');
    expect(hostPlatformOf('{ nixpkgs.hostPlatform.system = "riscv64-linux"; }')).toBe('riscv64-linux');
    expect(hostPlatformOf('{ nixpkgs.hostPlatform = { system = "aarch64-linux"; }; }')).toBe('aarch64-linux');
    expect(hostPlatformOf('{ nixpkgs = { hostPlatform = "aarch64-linux"; }; }')).toBe('aarch64-linux');
    expect(hostPlatformOf('{ nixpkgs.system = "i686-linux"; }')).toBe('i686-linux');
  });

  it('reads system = given to nixosSystem in flake.nix', () => {
    expect(hostPlatformOf('nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {\n system = "aarch64-linux";\n modules = [ ./configuration.nix ]; };')).toBe(
      'aarch64-linux',
    );
  });

  it('ignores comments and does not guess computed values', () => {
    expect(hostPlatformOf('{\n  # nixpkgs.hostPlatform = "aarch64-linux";\n  nixpkgs.hostPlatform = "x86_64-linux";\n}')).toBe('x86_64-linux');
    expect(hostPlatformOf('{ nixpkgs.hostPlatform = "${arch}-linux"; }')).toBeUndefined();
    expect(hostPlatformOf('{ nixpkgs.hostPlatform = lib.systems.examples.aarch64-multiplatform; }')).toBeUndefined();
    expect(hostPlatformOf('{ }')).toBeUndefined();
  });
});

describe('builderSystems', () => {
  it('reads the systems of machine lines, ; or newline separated', () => {
    expect(
      builderSystems('ssh-ng://b@arm aarch64-linux,armv7l-linux /k 8; ssh://x86 - /k\n# comment\nssh://old', 'x86_64-linux'),
    ).toEqual(['aarch64-linux', 'armv7l-linux', 'x86_64-linux']);
    expect(builderSystems('', 'x86_64-linux')).toEqual([]);
    expect(builderSystems('@/etc/nix/machines', 'x86_64-linux')).toEqual([]);
  });
});

describe('crossBuildWarning', () => {
  const x86 = { system: 'x86_64-linux', extraPlatforms: ['i686-linux'], builderSystems: [], binfmt: [] };
  const source = 'nixpkgs.hostPlatform in images/pi/configuration.nix';

  it('says nothing for native builds, extra platforms and builders that offer the system', () => {
    expect(crossBuildWarning('x86_64-linux', x86, source)).toBeUndefined();
    expect(crossBuildWarning('i686-linux', x86, source)).toBeUndefined();
    expect(crossBuildWarning('aarch64-linux', { ...x86, extraPlatforms: ['aarch64-linux'] }, source)).toBeUndefined();
    expect(crossBuildWarning('aarch64-linux', { ...x86, builderSystems: ['aarch64-linux'] }, source)).toBeUndefined();
  });

  it('names the system, where it was set and both ways out when nothing can build it', () => {
    const warning = crossBuildWarning('aarch64-linux', x86, source) as string;
    expect(warning).toMatch(/^the image is for aarch64-linux \(nixpkgs.hostPlatform in images\/pi\/configuration.nix\) but this machine is x86_64-linux/);
    expect(warning).toMatch(/no builder for aarch64-linux and no emulation/);
    expect(warning).toMatch(/"builders": \["ssh-ng:\/\/user@host aarch64-linux"\]/);
    expect(warning).toMatch(/boot.binfmt.emulatedSystems = \[ "aarch64-linux" \]/);
  });

  it('points at extra-platforms when QEMU is registered but Nix does not use it', () => {
    const warning = crossBuildWarning('aarch64-linux', { ...x86, binfmt: ['qemu-aarch64'] }, 'option "system"') as string;
    expect(warning).toMatch(/does not use the emulation registered here/);
    expect(warning).toMatch(/option "extraPlatforms": \["aarch64-linux"\]/);
  });
});
