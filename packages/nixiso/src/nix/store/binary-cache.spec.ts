import {
  binaryCacheProblems,
  fileStoreDir,
  nixCopyCommand,
  nixSignCommand,
  pushFailureHint,
  realiseCommand,
  resolveBinaryCache,
  storeKind,
  substituterArgs,
} from './binary-cache';
import { commandLine } from '../building/command';

const NX_JSON = 'the @nixiso/nx plugin options in nx.json';
const KEY = 'cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=';

describe('commands', () => {
  it('copies a store path with nix copy --to', () => {
    expect(commandLine(nixCopyCommand('file:///srv/cache', '/nix/store/abc-nixos.iso'))).toBe(
      'nix --extra-experimental-features nix-command copy --to file:///srv/cache /nix/store/abc-nixos.iso',
    );
  });

  it('signs the closure with nix store sign --key-file --recursive (Nix 2.8 flags)', () => {
    expect(nixSignCommand('/keys/secret', '/nix/store/abc-nixos.iso').args).toEqual([
      '--extra-experimental-features', 'nix-command',
      'store', 'sign', '--key-file', '/keys/secret', '--recursive', '/nix/store/abc-nixos.iso',
    ]);
  });

  it('pulls with the caches as extra substituters and their keys as extra trusted keys', () => {
    const cache = { substituters: ['file:///a', 'ssh-ng://b'], publicKeys: [KEY, 'other-1:AAAA'] };
    expect(substituterArgs(cache)).toEqual([
      '--option', 'extra-substituters', 'file:///a ssh-ng://b',
      '--option', 'extra-trusted-public-keys', `${KEY} other-1:AAAA`,
    ]);
    expect(realiseCommand('/nix/store/abc-x', cache, '/ws/dist/x/result').args.slice(0, 4)).toEqual([
      '--realise', '/nix/store/abc-x', '--add-root', '/ws/dist/x/result',
    ]);
    expect(realiseCommand('/nix/store/abc-x', { substituters: [], publicKeys: [] })).toEqual({
      command: 'nix-store',
      args: ['--realise', '/nix/store/abc-x'],
    });
  });
});

describe('configuration', () => {
  it('takes the workspace options, then the project, then the environment', () => {
    const cache = resolveBinaryCache(
      [
        { source: NX_JSON, config: { url: 'file:///ws-cache', secretKeyFile: 'keys/ws.sec', publicKeys: [KEY] } },
        { source: 'project.json', config: { url: 'ssh-ng://project-cache' } },
      ],
      { NIXISO_SECRET_KEY_FILE: '/run/secrets/nix-key' },
    );
    expect(cache).toEqual({
      url: 'ssh-ng://project-cache',
      secretKeyFile: '/run/secrets/nix-key',
      publicKeys: [KEY],
      substituters: ['ssh-ng://project-cache'],
      sources: {
        url: '"url" in project.json',
        secretKeyFile: 'NIXISO_SECRET_KEY_FILE',
        publicKeys: `"publicKeys" in ${NX_JSON}`,
        substituters: '"url" in project.json',
      },
    });
  });

  it('reads space-separated lists from NIXISO_PUBLIC_KEYS and NIXISO_SUBSTITUTERS and ignores empty values', () => {
    const cache = resolveBinaryCache([{ source: NX_JSON, config: { url: 'file:///c', publicKeys: [] } }], {
      NIXISO_PUBLIC_KEYS: ` ${KEY}  k2:BBBB `,
      NIXISO_SUBSTITUTERS: 'https://cache.example.org file:///c',
      NIXISO_BINARY_CACHE_URL: '',
    });
    expect(cache.url).toBe('file:///c');
    expect(cache.publicKeys).toEqual([KEY, 'k2:BBBB']);
    expect(cache.substituters).toEqual(['https://cache.example.org', 'file:///c']);
    expect(cache.sources.substituters).toBe('NIXISO_SUBSTITUTERS');
  });

  it('is empty when nothing is configured', () => {
    expect(resolveBinaryCache([{ source: NX_JSON, config: undefined }], {})).toEqual({
      publicKeys: [],
      substituters: [],
      sources: {},
    });
  });

  it('names the value and where it came from when it is wrong', () => {
    const problems = (config: object, env = {}, purpose: 'push' | 'pull' = 'push') =>
      binaryCacheProblems(resolveBinaryCache([{ source: NX_JSON, config }], env), purpose);
    expect(problems({ url: '/srv/cache' })).toEqual([
      `"url" in ${NX_JSON}: "/srv/cache" is a path, which Nix takes as another Nix store, not a binary cache; write file:///srv/cache`,
    ]);
    expect(problems({}, { NIXISO_BINARY_CACHE_URL: 'cache.example.org' })[0]).toMatch(
      /^NIXISO_BINARY_CACHE_URL: "cache.example.org" is not a Nix store URL/,
    );
    expect(problems({ url: 'file://relative/dir' })[0]).toMatch(/needs an absolute path: file:\/\/\/abs\/dir/);
    expect(problems({ url: 'https://cache.example.org' })[0]).toMatch(/cannot upload to "https:\/\/cache.example.org"/);
    expect(problems({ url: 'https://cache.example.org' }, {}, 'pull')).toEqual([]);
    expect(problems({ url: 'file:///c', publicKeys: ['not a key'] })).toEqual([
      `"publicKeys" in ${NX_JSON}: "not a key" is not a Nix public key (name:base64, the content of the .pub file from nix-store --generate-binary-cache-key)`,
    ]);
    expect(problems({ url: 's3://bucket?region=eu-west-1', publicKeys: [KEY] })).toEqual([]);
  });
});

describe('store URLs', () => {
  it('knows the kind of store and where a file:// cache lives', () => {
    expect(storeKind('file:///srv/c?compression=zstd')).toBe('file');
    expect(fileStoreDir('file:///srv/my%20cache?compression=zstd')).toBe('/srv/my cache');
    expect(fileStoreDir('s3://b')).toBeUndefined();
    expect(storeKind('ssh-ng://nix@host')).toBe('ssh');
    expect(storeKind('ssh://host')).toBe('ssh');
    expect(storeKind('s3://bucket')).toBe('s3');
    expect(storeKind('https://cache.nixos.org')).toBe('http');
    expect(storeKind('daemon')).toBe('other');
  });

  it('says what to check when a push fails', () => {
    expect(pushFailureHint('file:///srv/c')).toMatch(/\/srv\/c exists or can be created/);
    expect(pushFailureHint('ssh-ng://nix@cache-host?ssh-key=/k')).toMatch(/`ssh nix@cache-host nix-store --version`/);
    expect(pushFailureHint('s3://bucket')).toMatch(/AWS credentials/);
  });
});
