import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_OPTION_DEFAULTS, withBuildDefaults } from './build-options';

const defaultsIn = (schema: string) => {
  const { properties } = JSON.parse(readFileSync(join(__dirname, schema), 'utf8')) as { properties: Record<string, { default?: unknown }> };
  return Object.fromEntries(Object.keys(BUILD_OPTION_DEFAULTS).map((name) => [name, properties[name]?.default]));
};

describe('build option defaults', () => {
  it("are what the build executor's schema.json says", () => {
    expect(defaultsIn('image-build/schema.json')).toEqual(BUILD_OPTION_DEFAULTS);
  });

  it("are what the eval executor's schema.json says, but for the backend that eval does not take", () => {
    const { backend: _backend, ...evaluated } = BUILD_OPTION_DEFAULTS;
    expect(defaultsIn('eval/schema.json')).toEqual({ ...evaluated, backend: undefined });
  });

  it('fill in only what is not set', () => {
    expect(withBuildDefaults({ format: 'qcow2', system: 'aarch64-linux' })).toEqual({
      backend: 'nix',
      format: 'qcow2',
      configurationName: 'liveImage',
      system: 'aarch64-linux',
    });
    expect(withBuildDefaults({ backend: 'build-image', configurationName: 'rescue' })).toMatchObject({ backend: 'build-image', configurationName: 'rescue' });
  });
});
