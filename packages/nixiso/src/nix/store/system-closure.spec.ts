import { commandLine } from '../building/command';
import {
  closureSizeCommand,
  isSystemDerivation,
  outermostSystems,
  outputsCommand,
  parseClosureSize,
  requisitesCommand,
  storePathLines,
} from './system-closure';

const HASH = 'ggacfpa6q1pzj9pdpl126r1bqlgnz1mg';
const TOPLEVEL = `/nix/store/${HASH}-nixos-system-nixos-24.05pre-git`;

describe('commands', () => {
  it('queries the local store', () => {
    expect(commandLine(requisitesCommand('/nix/store/x.drv'))).toBe('nix-store --query --requisites /nix/store/x.drv');
    expect(commandLine(outputsCommand('/nix/store/x.drv'))).toBe('nix-store --query --outputs /nix/store/x.drv');
    expect(commandLine(closureSizeCommand(TOPLEVEL))).toBe(
      `nix --extra-experimental-features 'nix-command flakes' path-info --closure-size --json ${TOPLEVEL}`,
    );
  });
});

describe('the system derivation', () => {
  it('is named nixos-system-…, directly in the store', () => {
    expect(isSystemDerivation(`/nix/store/${HASH}-nixos-system-rescue-24.05.20240101.abcdef.drv`)).toBe(true);
    expect(isSystemDerivation(`/nix/store/${HASH}-nixos-system-rescue-24.05`)).toBe(false);
    expect(isSystemDerivation(`/nix/store/${HASH}-nixos-24.05-x86_64-linux.iso.drv`)).toBe(false);
    expect(isSystemDerivation(`/nix/store/${HASH}-not-nixos-system-x.drv`)).toBe(false);
  });

  it('reads store paths one per line', () => {
    expect(storePathLines(`/nix/store/a\n\n/nix/store/b\nwarning: x\n`)).toEqual(['/nix/store/a', '/nix/store/b']);
  });

  it('is the outermost one: specialisations are built into their system, an unrelated system is not', () => {
    const requisites: Record<string, string[]> = {
      main: ['main', 'special', 'bash'],
      special: ['special', 'bash'],
      other: ['other', 'bash'],
    };
    const of = (drv: string) => requisites[drv];
    expect(outermostSystems(['main', 'special'], of)).toEqual(['main']);
    expect(outermostSystems(['special', 'main'], of)).toEqual(['main']);
    expect(outermostSystems(['main', 'special', 'other'], of)).toEqual(['main', 'other']);
    expect(outermostSystems(['main'], of)).toEqual(['main']);
  });
});

describe('parseClosureSize', () => {
  it('reads Nix 2.8 (a list) and newer Nix (an object by path)', () => {
    // `nix path-info --closure-size --json` on Nix 2.8, shortened.
    const nix28 = `[{"path":"${TOPLEVEL}","narHash":"sha256-R+ig","narSize":4552,"references":[],"closureSize":57864,"ultimate":true}]`;
    expect(parseClosureSize(nix28, TOPLEVEL)).toBe(57864);
    expect(parseClosureSize(`{"${TOPLEVEL}":{"narSize":4552,"closureSize":57864}}`, TOPLEVEL)).toBe(57864);
  });

  it('gives nothing for another path, an invalid one or no JSON', () => {
    expect(parseClosureSize(`[{"path":"/nix/store/other","closureSize":1}]`, TOPLEVEL)).toBeUndefined();
    expect(parseClosureSize(`{"${TOPLEVEL}":null}`, TOPLEVEL)).toBeUndefined();
    expect(parseClosureSize('error: path is not valid', TOPLEVEL)).toBeUndefined();
  });
});
