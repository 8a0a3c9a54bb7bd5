import { imageDistDir, imageDistPath, imageOutputsIn, outputPathProblem, placeOutputs } from './outputs';

const project = { workspaceRoot: '/work/ws', projectRoot: 'images/rescue' };

describe('where a built image lives', () => {
  it('is dist/<projectRoot>, for a project at the workspace root too', () => {
    expect(imageDistDir('images/rescue')).toBe('dist/images/rescue');
    expect(imageDistDir('.')).toBe('dist');
    expect(imageDistPath('/work/ws', 'images/rescue')).toBe('/work/ws/dist/images/rescue');
  });

  it('names the files a build writes in its output directory', () => {
    expect(imageOutputsIn('/work/ws/dist/images/rescue/live')).toEqual({
      dir: '/work/ws/dist/images/rescue/live',
      manifest: '/work/ws/dist/images/rescue/live/manifest.json',
      identity: '/work/ws/dist/images/rescue/live/image.json',
      readRecord: '/work/ws/dist/images/rescue/live/reads.json',
      defaultOutLink: '/work/ws/dist/images/rescue/live/result',
    });
  });

  it('checks the option outLink the way a manifest is checked: strictly inside dist/<projectRoot>', () => {
    expect(outputPathProblem('/work/ws/dist/images/rescue/result', project)).toBeUndefined();
    expect(outputPathProblem('../elsewhere/result', project)).toMatch(/resolves to \/work\/elsewhere\/result, outside dist\/images\/rescue/);
    expect(outputPathProblem('dist/images/rescue', project)).toBe('is dist/images/rescue itself, which holds the manifest');
  });

  it('places the outputs by the options outputPath and outLink, by default dist/<projectRoot> and its result', () => {
    expect(placeOutputs({}, project)).toEqual({
      outputs: imageOutputsIn('/work/ws/dist/images/rescue'),
      outLink: '/work/ws/dist/images/rescue/result',
    });
    expect(placeOutputs({ outputPath: 'dist/images/rescue/live' }, project)).toEqual({
      outputs: imageOutputsIn('/work/ws/dist/images/rescue/live'),
      outLink: '/work/ws/dist/images/rescue/live/result',
    });
    expect(placeOutputs({ outputPath: 'dist/images/rescue', outLink: 'dist/images/rescue/links/iso' }, project)).toMatchObject({
      outLink: '/work/ws/dist/images/rescue/links/iso',
    });
  });

  it('names the option that would put an output outside dist/<projectRoot>, and what to do', () => {
    expect(placeOutputs({ outputPath: 'dist/images' }, project)).toEqual({
      error:
        'option "outputPath" ("dist/images") is outside dist/images/rescue, the directory Nx caches and restores for the image; ' +
        'leave it unset (dist/images/rescue) or name a directory inside it',
    });
    expect(placeOutputs({ outputPath: '' }, project)).toEqual({ error: expect.stringMatching(/^option "outputPath" \(""\) is not a path;/) });
    expect(placeOutputs({ outLink: '../elsewhere/result' }, project)).toEqual({
      error:
        'option "outLink" ("../elsewhere/result") resolves to /work/elsewhere/result, outside dist/images/rescue, the directory Nx caches and restores: ' +
        'Nx would neither cache nor restore the link, and nixiso acts only on out-links inside dist/images/rescue. ' +
        'Leave outLink unset (dist/images/rescue/result) or name a path inside dist/images/rescue',
    });
    expect(placeOutputs({ outLink: 'dist/images/rescue' }, project)).toEqual({ error: expect.stringContaining('is dist/images/rescue itself, which holds the manifest') });
  });
});
