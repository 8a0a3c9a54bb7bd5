import {
  describeLockProblem,
  isLockChangeRefusal,
  lockCoversInputs,
  lockFilePolicy,
  lockFileProblem,
  lockFloatingWarning,
  lockRequiredMessage,
} from './flake-lock';

const declared = { nixpkgs: { follows: false }, 'home-manager': { follows: false } };

/** A flake.lock whose root locks `inputs` (the shape `nix flake lock` writes). */
function lock(inputs: Record<string, string | string[]>): string {
  const nodes: Record<string, unknown> = { root: { inputs } };
  for (const value of Object.values(inputs)) if (typeof value === 'string') nodes[value] = { locked: {}, original: {} };
  return JSON.stringify({ nodes, root: 'root', version: 7 });
}

describe('lockFilePolicy', () => {
  it('is require under CI=true or CI=1 and warn elsewhere when auto or unset', () => {
    expect(lockFilePolicy(undefined, { CI: 'true' })).toBe('require');
    expect(lockFilePolicy('auto', { CI: '1' })).toBe('require');
    expect(lockFilePolicy('auto', {})).toBe('warn');
    expect(lockFilePolicy(undefined, { CI: 'false' })).toBe('warn');
    expect(lockFilePolicy(undefined, { CI: 'yes' })).toBe('warn');
  });

  it('takes require and warn as they are and names the values it knows otherwise', () => {
    expect(lockFilePolicy('require', {})).toBe('require');
    expect(lockFilePolicy('warn', { CI: 'true' })).toBe('warn');
    expect(lockFilePolicy('always', {})).toEqual({ error: 'option "lockFile": unknown value "always" (expected one of auto, require, warn)' });
  });
});

describe('lockFileProblem', () => {
  it('reports a missing flake.lock with the inputs it would pin', () => {
    expect(lockFileProblem(declared, undefined, [])).toEqual({ kind: 'missing', inputs: ['nixpkgs', 'home-manager'] });
    expect(lockFileProblem(declared, undefined, ['nixpkgs'])).toEqual({ kind: 'missing', inputs: ['home-manager'] });
  });

  it('needs no flake.lock when every input is overridden, or only follows others', () => {
    expect(lockFileProblem(declared, undefined, ['nixpkgs', 'home-manager'])).toBeUndefined();
    expect(lockFileProblem({ nixpkgs: { follows: true } }, undefined, [])).toBeUndefined();
    expect(lockFileProblem({}, undefined, [])).toBeUndefined();
  });

  it('accepts a lock that has every declared input', () => {
    expect(lockFileProblem(declared, lock({ nixpkgs: 'nixpkgs', 'home-manager': 'home-manager' }), [])).toBeUndefined();
    expect(lockFileProblem({ ...declared, np: { follows: true } }, lock({ nixpkgs: 'nixpkgs', 'home-manager': 'home-manager', np: ['nixpkgs'] }), [])).toBeUndefined();
  });

  it('reports inputs added to flake.nix after locking, unless overridden, and inputs it no longer declares', () => {
    const onlyNixpkgs = lock({ nixpkgs: 'nixpkgs' });
    expect(lockFileProblem(declared, onlyNixpkgs, [])).toEqual({ kind: 'outdated', added: ['home-manager'], removed: [] });
    expect(lockFileProblem(declared, onlyNixpkgs, ['home-manager'])).toBeUndefined();
    expect(lockFileProblem({ nixpkgs: { follows: false } }, lock({ nixpkgs: 'nixpkgs', old: 'old' }), [])).toEqual({
      kind: 'outdated',
      added: [],
      removed: ['old'],
    });
  });

  it('reports a lock it cannot parse', () => {
    expect(lockFileProblem(declared, '{', [])).toMatchObject({ kind: 'unreadable' });
    expect(lockFileProblem(declared, '{"nodes":{}}', [])).toEqual({ kind: 'unreadable', reason: 'it has no root node' });
  });
});

describe('lockCoversInputs', () => {
  it('is true only when Nix can check the lock without fetching an input it does not lock', () => {
    expect(lockCoversInputs(declared, lock({ nixpkgs: 'nixpkgs', 'home-manager': 'home-manager' }))).toBe(true);
    expect(lockCoversInputs(declared, lock({ nixpkgs: 'nixpkgs' }))).toBe(false);
    expect(lockCoversInputs(declared, 'not json')).toBe(false);
  });
});

describe('messages', () => {
  it('names the file, the inputs and the lock command', () => {
    const missing = describeLockProblem({ kind: 'missing', inputs: ['nixpkgs'] }, 'images/rescue');
    expect(missing).toBe('images/rescue/flake.lock is missing, so the flake\'s inputs ("nixpkgs") are not pinned');
    expect(lockRequiredMessage(missing, 'nx run rescue:lock')).toMatch(/^images\/rescue\/flake\.lock is missing.*"require".*Run `nx run rescue:lock` and commit flake\.lock/);
    expect(lockFloatingWarning(missing, 'nx run rescue:lock')).toMatch(/inputs float.*Run `nx run rescue:lock`/);
    expect(describeLockProblem({ kind: 'outdated', added: ['extra'], removed: ['old'] }, 'img')).toBe(
      'img/flake.lock is out of date: flake.nix declares "extra", which it does not lock; it still locks "old", which flake.nix no longer declares',
    );
  });

  it('recognises Nix refusing a lock change under --no-update-lock-file', () => {
    expect(
      isLockChangeRefusal("error: flake 'git+file:///r?dir=img' requires lock file changes but they're not allowed due to '--no-update-lock-file'"),
    ).toBe(true);
    expect(isLockChangeRefusal('error: unable to download')).toBe(false);
  });
});
