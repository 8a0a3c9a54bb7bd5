import { createTreeWithEmptyWorkspace } from 'nx/src/generators/testing-utils/create-tree-with-empty-workspace';
import { ciGenerator } from './ci';

describe('ci generator', () => {
  it('writes a GitHub Actions workflow that installs Nix and Node and builds affected images', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await ciGenerator(tree, {});
    const yml = tree.read('.github/workflows/images.yml', 'utf8')!;
    expect(yml).toContain('cachix/install-nix-action');
    expect(yml).toContain('actions/setup-node');
    expect(yml).toContain('nrwl/nx-set-shas');
    expect(yml).toContain('npx nx affected -t eval build');
    expect(yml).toContain('dist/**/manifest.json');
    expect(yml).not.toContain('-images');
  });

  it('uploads the images only when asked', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await ciGenerator(tree, { uploadImages: true, name: 'isos', mainBranch: 'trunk' });
    const yml = tree.read('.github/workflows/isos.yml', 'utf8')!;
    expect(yml).toContain('name: isos-images');
    expect(yml).toContain('branches: [trunk]');
  });

  it('writes a GitLab CI file for provider gitlab', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await ciGenerator(tree, { provider: 'gitlab' });
    const yml = tree.read('.gitlab-ci.yml', 'utf8')!;
    expect(yml).toContain('npx nx affected -t eval build');
    expect(tree.exists('.github/workflows/images.yml')).toBe(false);
  });

  it.each([
    [{ provider: 'jenkins' as never }, /option "provider": unknown CI provider "jenkins"/],
    [{ name: 'a b' }, /option "name": "a b"/],
    [{ mainBranch: 'x;rm' }, /option "mainBranch": "x;rm"/],
  ])('rejects bad input %j and writes nothing', async (options, message) => {
    const tree = createTreeWithEmptyWorkspace();
    const before = tree.listChanges().length;
    await expect(ciGenerator(tree, options)).rejects.toThrow(message);
    expect(tree.listChanges().length).toBe(before);
  });
});
