import { createTestWorkspace, describeWithNix } from '@nixiso/testing';
import { overriddenTargetWarning, overridingTargetDefault } from './target-defaults';

describe('overridingTargetDefault', () => {
  const build = { dependsOn: ['^build'], inputs: ['production', '^production'], cache: true };

  it('names the target-name entry and the fields it replaces', () => {
    expect(overridingTargetDefault({ targetDefaults: { build } }, 'build', '@nixiso/nx:build')).toEqual({
      key: 'build',
      fields: ['inputs', 'dependsOn', 'cache'],
    });
    // Nx 23's array form: every entry counts.
    expect(
      overridingTargetDefault({ targetDefaults: { build: [{ outputs: ['{projectRoot}/out'] }, { options: {} }] } as never }, 'build', '@nixiso/nx:build'),
    ).toEqual({ key: 'build', fields: ['outputs'] });
  });

  it('none when an executor-keyed entry exists (it wins), when the entry sets no guarded field, or for another name', () => {
    expect(overridingTargetDefault({ targetDefaults: { build, '@nixiso/nx:build': {} } }, 'build', '@nixiso/nx:build')).toBeUndefined();
    expect(overridingTargetDefault({ targetDefaults: { build: { options: { x: 1 } } } }, 'build', '@nixiso/nx:build')).toBeUndefined();
    expect(overridingTargetDefault({ targetDefaults: { build } }, 'nix-build', '@nixiso/nx:build')).toBeUndefined();
    expect(overridingTargetDefault(undefined, 'build', '@nixiso/nx:build')).toBeUndefined();
  });

  it('the warning says what is replaced and how to fix it', () => {
    expect(overriddenTargetWarning('rescue', 'build', '@nixiso/nx:build', { key: 'build', fields: ['inputs'] })).toBe(
      'targetDefaults["build"] in nx.json replaces the inputs that nixiso infers for rescue:build, so its cache hits and `nx affected` ' +
        'may miss files the image reads. Add "@nixiso/nx:build": { "cache": true } to targetDefaults (nx g @nixiso/nx:init does); ' +
        'an entry keyed by the executor wins over one keyed by the target name',
    );
  });
});

describeWithNix('a workspace-wide targetDefaults.build, as create-nx-workspace writes it', () => {
  it('replaces the inferred inputs; doctor says so; init restores them', () => {
    const ws = createTestWorkspace({ examples: ['iso-channel'] });
    const nxJson = JSON.parse(ws.read('nx.json'));
    const { configurations } = nxJson.targetDefaults['@nixiso/nx:build'];
    nxJson.targetDefaults = { build: { dependsOn: ['^build'], inputs: ['production', '^production'], cache: true, configurations } };
    nxJson.namedInputs = { default: ['{projectRoot}/**/*'], production: ['default'] };
    ws.write('nx.json', JSON.stringify(nxJson, null, 2));
    const inputsOf = () => {
      const r = ws.nx(['show', 'project', 'iso-channel', '--json']);
      return JSON.parse(r.output.slice(r.output.indexOf('{'), r.output.lastIndexOf('}') + 1)).targets.build.inputs;
    };
    expect(inputsOf()).toEqual(['production', '^production']);
    const doctor = ws.nx(['run', 'iso-channel:doctor', '--substituterTimeoutMs=0']);
    expect(doctor.output).toMatch(/warn {2}cache inputs +targetDefaults\["build"\] in nx\.json replaces the inputs, dependsOn, cache that nixiso infers for iso-channel:build/);
    expect(doctor.output).toMatch(/→ Add "@nixiso\/nx:build": \{ "cache": true \} to targetDefaults/);

    const built = ws.nx(['run', 'iso-channel:build:offline']);
    expect(built.status).toBe(0);
    expect(built.output).toMatch(/nixiso: warning: targetDefaults\["build"\] in nx\.json replaces the inputs, dependsOn, cache that nixiso infers for iso-channel:build/);

    const init = ws.nx(['g', '@nixiso/nx:init']);
    expect(init.status).toBe(0);
    const restored = inputsOf();
    expect(restored[0]).toBe('{projectRoot}/**/*');
    expect(restored).toContainEqual({ env: 'NIX_PATH' });
    expect(ws.nx(['run', 'iso-channel:doctor', '--substituterTimeoutMs=0']).output).toMatch(/ok {4}cache inputs +the build and eval targets have the inputs nixiso infers/);
  });
});
