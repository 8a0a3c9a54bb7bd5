/** The eval executor through the real Nx CLI: options as users type them. */
import { createTestWorkspace, describeWithNix } from '@nixiso/testing';

describeWithNix('eval executor through the Nx CLI', () => {
  it('takes --release on the command line, where Nx reads 25.05 as a number, and names an unknown one', () => {
    const ws = createTestWorkspace({ examples: ['iso-flake'] });
    const ok = ws.nx(['run', 'iso-flake:eval:offline', '--release=24.05']);
    expect(ok.output).toMatch(/^\/nix\/store\/\w{32}-nixos-.*\.iso\.drv$/m);
    expect(ok.status).toBe(0);
    const unknown = ws.nx(['run', 'iso-flake:eval:offline', '--release=23.05']);
    expect(unknown.output).toMatch(/nixiso: option "release": unknown NixOS release "23\.05"/);
    expect(unknown.status).not.toBe(0);
  });
});
