import { refusedImageVariants } from './errors';

describe('refusedImageVariants', () => {
  it('reads the names nixos-rebuild.sh prints on stdout after its message', () => {
    const stderr = 'Please specify one of the following supported image variants via --image-variant:\n\n';
    expect(refusedImageVariants('iso\nnotes\nraw\n', stderr)).toEqual(['iso', 'notes', 'raw']);
  });

  it('reads the `- name` lines nixos-rebuild-ng prints on stderr', () => {
    const stderr = 'error: please specify one of the following supported image variants via --image-variant:\n- iso\n- qemu\n';
    expect(refusedImageVariants('', stderr)).toEqual(['iso', 'qemu']);
  });

  it('is undefined for any other failure', () => {
    expect(refusedImageVariants('', "error: attribute 'images' missing\n")).toBeUndefined();
  });
});
