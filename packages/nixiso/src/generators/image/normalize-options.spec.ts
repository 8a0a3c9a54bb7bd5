import type { ImageGeneratorSchema } from './schema';
import { normalizeImageOptions, SSH_KEY_TYPES } from './normalize-options';
import { DEFAULT_RELEASE, findRelease } from '../../nix/building/releases';

const workspaceRoot = '/ws';
const normalize = (options: Partial<ImageGeneratorSchema>, cwd = '') =>
  normalizeImageOptions({ directory: 'images/demo', ...options }, { workspaceRoot, cwd });

describe('normalizeImageOptions', () => {
  it('fills in the article defaults and the newest stable release', () => {
    expect(normalize({})).toEqual({
      projectName: 'demo',
      projectRoot: 'images/demo',
      layout: expect.objectContaining({ id: 'channel' }),
      release: DEFAULT_RELEASE,
      stateVersion: DEFAULT_RELEASE.stateVersion,
      hostPlatform: 'x86_64-linux',
      configurationName: 'liveImage',
      profile: 'minimal',
      packages: ['git', 'neovim'],
      homePackages: ['jq', 'fzf', 'curl'],
      username: 'nixos',
      hostName: undefined,
      timeZone: undefined,
      sshAuthorizedKeys: [],
      isoBaseName: undefined,
      backend: 'nix',
      tags: [],
      skipFormat: false,
      skipLock: false,
    });
  });

  it('picks the layout from flake and homeManager', () => {
    expect(normalize({ flake: true }).layout.id).toBe('flake');
    expect(normalize({ homeManager: true }).layout.id).toBe('channel-home-manager');
    expect(normalize({ flake: true, homeManager: true }).layout.id).toBe('flake-home-manager');
  });

  it('takes the stateVersion from the release unless given', () => {
    expect(normalize({ release: '24.11' })).toMatchObject({ release: findRelease('24.11'), stateVersion: '24.11' });
    expect(normalize({ release: 'unstable' }).stateVersion).toMatch(/^\d\d\.\d\d$/);
    expect(normalize({ release: '25.05', stateVersion: '24.05' }).stateVersion).toBe('24.05');
  });

  it('reads release and stateVersion parsed as numbers by the Nx command line', () => {
    expect(normalize({ release: 24.11, stateVersion: 24.1 })).toMatchObject({ release: findRelease('24.11'), stateVersion: '24.10' });
    expect(() => normalize({ release: 23.11 })).toThrow(/--release="23.11": unknown release/);
  });

  it('splits comma-separated lists and trims them', () => {
    expect(normalize({ packages: 'git, python3Packages.requests,,', homePackages: [' jq '], tags: 'a,b' })).toMatchObject({
      packages: ['git', 'python3Packages.requests'],
      homePackages: ['jq'],
      tags: ['a', 'b'],
    });
    expect(normalize({ packages: '' }).packages).toEqual([]);
  });

  it('reads ssh keys from an array as they are, from a string one per line', () => {
    expect(normalize({ sshAuthorizedKeys: ['ssh-ed25519 AAAA a,b'] }).sshAuthorizedKeys).toEqual(['ssh-ed25519 AAAA a,b']);
    expect(normalize({ sshAuthorizedKeys: 'ssh-ed25519 A x\nssh-rsa B y\n' }).sshAuthorizedKeys).toEqual(['ssh-ed25519 A x', 'ssh-rsa B y']);
  });

  it.each(['nixos', 'lab-1', 'LAB', 'a', '9', 'a'.repeat(63), 'legacy_name'])('accepts the hostName %j, as networking.hostName does', (hostName) => {
    expect(normalize({ hostName }).hostName).toBe(hostName);
  });

  it.each(['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'America/Port-au-Prince', 'Etc/GMT+1', 'Etc/GMT-14', 'EST5EDT'])(
    'accepts the timeZone %j',
    (timeZone) => expect(normalize({ timeZone }).timeZone).toBe(timeZone),
  );

  it('accepts every known key type, with or without a comment', () => {
    const keys = SSH_KEY_TYPES.map((type, i) => (i % 2 ? `${type} AAAAB3Nza+/0= user@host with spaces` : `${type} AAAAC3Nz`));
    expect(normalize({ sshAuthorizedKeys: keys }).sshAuthorizedKeys).toEqual(keys);
  });

  it('accepts a stateVersion up to the release', () => {
    expect(normalize({ release: '24.05', stateVersion: '24.05' }).stateVersion).toBe('24.05');
    expect(normalize({ release: 'unstable', stateVersion: findRelease('unstable')?.stateVersion }).release.id).toBe('unstable');
    expect(normalize({ release: '25.11', stateVersion: '13.10' }).stateVersion).toBe('13.10');
  });

  it('treats an empty hostName, timeZone or isoBaseName as not set', () => {
    expect(normalize({ hostName: '', timeZone: '', isoBaseName: '' })).toMatchObject({ hostName: undefined, timeZone: undefined, isoBaseName: undefined });
  });

  it.each([
    ['images/demo/', 'images/demo', 'demo'],
    ['./images//demo', 'images/demo', 'demo'],
    ['/ws/images/demo', 'images/demo', 'demo'],
    ['demo', 'demo', 'demo'],
  ])('normalises directory %j to %j', (directory, root, name) => {
    expect(normalize({ directory })).toMatchObject({ projectRoot: root, projectName: name });
  });

  it('takes a relative directory from the cwd inside the workspace, like @nx/js generators', () => {
    expect(normalize({ directory: 'demo' }, 'images').projectRoot).toBe('images/demo');
    expect(normalize({ directory: 'images/demo' }, 'images').projectRoot).toBe('images/demo');
    expect(normalize({ directory: '/ws/other/demo' }, 'images').projectRoot).toBe('other/demo');
  });

  it('uses the given name', () => {
    expect(normalize({ name: '@acme/rescue' }).projectName).toBe('@acme/rescue');
  });

  it.each<[Partial<ImageGeneratorSchema>, RegExp]>([
    [{ directory: '../x' }, /--directory="\.\.\/x": must be a directory inside the workspace/],
    [{ directory: '/elsewhere/x' }, /--directory="\/elsewhere\/x": must be a directory inside the workspace/],
    [{ directory: '.' }, /--directory=".": must be a directory inside the workspace/],
    [{ directory: 'images/../..' }, /--directory="images\/..\/..": must be a directory inside/],
    [{ directory: '' }, /--directory="": is required/],
    [{ name: '1bad' }, /--name="1bad": is not a valid Nx project name/],
    [{ name: 'a b' }, /--name="a b"/],
    [{ name: 'a:b' }, /--name="a:b"/],
    [{ directory: 'images/9lives' }, /--name \(derived from --directory\)="9lives"/],
    [{ release: '23.11' }, /--release="23.11": unknown release; known: 24.05, 24.11/],
    [{ stateVersion: 'latest' }, /--stateVersion="latest": must be a NixOS release number YY\.MM/],
    [{ stateVersion: '24.13' }, /--stateVersion="24\.13": must be a NixOS release number YY\.MM/],
    [{ stateVersion: '2405' }, /--stateVersion="2405": must be a NixOS release number/],
    [{ stateVersion: '24.5' }, /--stateVersion="24\.5": must be a NixOS release number/],
    [{ release: '24.05', stateVersion: '24.11' }, /--stateVersion="24\.11": is newer than the image's release, 24\.05 \(--release\), whose newest stateVersion is 24\.05/],
    [{ release: 'unstable', stateVersion: '99.05' }, /--stateVersion="99\.05": is newer than the image's release, unstable \(--release\)/],
    [{ hostPlatform: 'riscv64-linux' }, /--hostPlatform="riscv64-linux": must be one of x86_64-linux, aarch64-linux/],
    [{ configurationName: 'live image' }, /--configurationName="live image": must be a Nix identifier/],
    [{ configurationName: 'with' }, /--configurationName="with"/],
    [{ profile: 'kde' }, /--profile="kde": unknown profile/],
    [{ profile: 'toString' }, /--profile="toString": unknown profile/],
    [{ profile: 'plasma5', release: '25.05' }, /--profile="plasma5": NixOS 25.05 has no such installer; it has minimal, gnome, plasma6/],
    [{ packages: 'git,neo vim' }, /--packages="neo vim": is not a Nix attribute path in pkgs: identifiers \[a-zA-Z_\]/],
    [{ packages: ['git"; evil = "'] }, /--packages="git\\"; evil = \\"": is not a Nix attribute path/],
    [{ packages: '1password' }, /--packages="1password": is not a Nix attribute path/],
    [{ packages: 'python3Packages.' }, /--packages="python3Packages\.": is not a Nix attribute path/],
    [{ packages: 'a..b' }, /--packages="a\.\.b": is not a Nix attribute path/],
    [{ packages: 'if' }, /--packages="if": .*not keywords/],
    [{ homePackages: '"my pkg"' }, /--homePackages="\\"my pkg\\"": .*quoted segments are not supported/],
    [{ homePackages: 'jq,${x}' }, /--homePackages="\$\{x\}"/],
    [{ username: 'Alice' }, /--username="Alice": is not a valid Linux user name/],
    [{ username: 'a'.repeat(33) }, /--username="a{33}"/],
    [{ username: 'root' }, /--username="root": must be an ordinary user/],
    [{ hostName: 'a\0b' }, /--hostName="a\\u0000b": is not a host name NixOS accepts/],
    [{ hostName: 'lab.example.org' }, /--hostName="lab\.example\.org": is not a host name NixOS accepts \(networking\.hostName must be a DNS label.*no dots/],
    [{ hostName: 'my lab' }, /--hostName="my lab": is not a host name NixOS accepts/],
    [{ hostName: '-lab' }, /--hostName="-lab": .*starting and ending with a letter or digit/],
    [{ hostName: 'lab-' }, /--hostName="lab-": .*starting and ending with a letter or digit/],
    [{ hostName: 'a'.repeat(64) }, /--hostName="a{64}": .*at most 63 characters/],
    [{ hostName: 'läb' }, /--hostName="läb": is not a host name NixOS accepts/],
    [{ timeZone: '\0' }, /--timeZone="\\u0000": is not a tz database name/],
    [{ timeZone: 'Europe/ Berlin' }, /--timeZone="Europe\/ Berlin": is not a tz database name such as "Europe\/Berlin", "UTC" or "Etc\/GMT\+1"/],
    [{ timeZone: 'Europe Berlin' }, /--timeZone="Europe Berlin": .*NixOS's time\.timeZone only requires a string without spaces, nixiso checks the stricter tz shape/],
    [{ timeZone: '../etc/passwd' }, /--timeZone="\.\.\/etc\/passwd": is not a tz database name/],
    [{ timeZone: 'Europe/' }, /--timeZone="Europe\/": is not a tz database name/],
    [{ timeZone: '+01:00' }, /--timeZone="\+01:00": is not a tz database name/],
    [{ sshAuthorizedKeys: ['ssh-ed25519 AAAA a', 'k\0'] }, /--sshAuthorizedKeys="k\\u0000": a Nix string cannot contain a NUL/],
    [{ sshAuthorizedKeys: ['ssh-ed25519 AAAA a\nssh-rsa BBBB b'] }, /--sshAuthorizedKeys="ssh-ed25519 AAAA a\\nssh-rsa BBBB b": an SSH key is one line/],
    [{ sshAuthorizedKeys: ['ssh-ed25519 AAAA a\r'] }, /--sshAuthorizedKeys="ssh-ed25519 AAAA a\\r": an SSH key is one line/],
    [{ sshAuthorizedKeys: ['ssh-dss AAAA old'] }, /--sshAuthorizedKeys="ssh-dss AAAA old": unknown key type "ssh-dss": must be one OpenSSH public key "<type> <base64> \[comment\]".*ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/],
    [{ sshAuthorizedKeys: ['AAAAC3NzaC1lZDI1NTE5'] }, /--sshAuthorizedKeys="AAAAC3NzaC1lZDI1NTE5": must be one OpenSSH public key/],
    [{ sshAuthorizedKeys: ['ssh-ed25519'] }, /--sshAuthorizedKeys="ssh-ed25519": must be one OpenSSH public key/],
    [{ sshAuthorizedKeys: ['ssh-ed25519 not*base64 x'] }, /--sshAuthorizedKeys="ssh-ed25519 not\*base64 x": must be one OpenSSH public key/],
    [{ sshAuthorizedKeys: ['from="10.0.0.1" ssh-ed25519 AAAA a'] }, /--sshAuthorizedKeys=.*authorized_keys options before the type are not supported/],
    [{ sshAuthorizedKeys: ' ssh-ed25519 AAAA ok\nnot a key\n' }, /--sshAuthorizedKeys="not a key": unknown key type "not"/],
    [{ isoBaseName: 'a/b' }, /--isoBaseName="a\/b": must be a file name/],
    [{ backend: 'docker' as never }, /--backend="docker": must be one of nix, nixos-generators, build-image/],
    [{ maxImageSize: '2G' }, /--maxImageSize="2G": is not a size: give bytes as an integer, or a number with a unit/],
    [{ maxClosureSize: 0 }, /--maxClosureSize=0: is not a size larger than 0 bytes/],
    [{ backend: 'build-image', release: '24.11' }, /--backend="build-image": needs NixOS ≥ 25.05 \(nixos-rebuild build-image\) but --release is 24\.11/],
  ])('rejects %j', (options, message) => {
    expect(() => normalize(options)).toThrow(message);
  });

  it('reports every invalid option at once', () => {
    expect(() => normalize({ release: 'x', hostPlatform: 'y', username: 'Z' })).toThrow(
      /nothing was written[\s\S]*--release="x"[\s\S]*--hostPlatform="y"[\s\S]*--username="Z"/,
    );
  });
});
