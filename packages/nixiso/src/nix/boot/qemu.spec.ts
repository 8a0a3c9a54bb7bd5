import { commandLine } from '../building/command';
import { chooseAccel, kernelCommandLine, qemuBinaryFor, qemuCommand } from './qemu';

const kvm = { path: '/dev/kvm', exists: true, usable: true };

describe('chooseAccel', () => {
  it('auto: KVM when /dev/kvm is usable and the guest is the host’s architecture, else TCG with the reason', () => {
    expect(chooseAccel('auto', { hostArch: 'x86_64', guestArch: 'x86_64', kvm })).toEqual({ accel: 'kvm', reason: '/dev/kvm is usable' });
    expect(chooseAccel('auto', { hostArch: 'x86_64', guestArch: 'x86_64', kvm: { ...kvm, usable: false } })).toMatchObject({ accel: 'tcg', reason: expect.stringMatching(/kvm group/) });
    expect(chooseAccel('auto', { hostArch: 'x86_64', guestArch: 'aarch64', kvm })).toMatchObject({ accel: 'tcg', reason: expect.stringMatching(/host's architecture/) });
    expect(chooseAccel('tcg', { hostArch: 'x86_64', guestArch: 'x86_64', kvm })).toMatchObject({ accel: 'tcg' });
  });

  it('kvm insists: an error naming the option and the reason', () => {
    expect(chooseAccel('kvm', { hostArch: 'x86_64', guestArch: 'x86_64', kvm: { ...kvm, exists: false } })).toEqual({
      error: 'option "accel" is kvm, but /dev/kvm does not exist; use accel auto or tcg to boot with emulation (TCG)',
    });
  });
});

describe('qemuCommand', () => {
  const request = {
    binary: qemuBinaryFor('x86_64'),
    arch: 'x86_64' as const,
    accel: 'tcg' as const,
    memoryMiB: 1024,
    smp: 2,
    iso: '/ws/dist/images/a/result/iso/nixos,1.iso',
    kernel: '/tmp/x/bzImage',
    initrd: '/tmp/x/initrd',
    params: ['init=/nix/store/aaaa-nixos-system/init', 'root=LABEL=nixos-24.05-x86_64', 'boot.shell_on_fail', 'console=tty0'],
    extraArgs: [],
  };

  it('boots the extracted kernel with the serial console on stdio and the ISO as a read-only CD-ROM', () => {
    expect(commandLine(qemuCommand(request))).toBe(
      'qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -serial mon:stdio -no-reboot -kernel /tmp/x/bzImage -initrd /tmp/x/initrd ' +
        "-append 'init=/nix/store/aaaa-nixos-system/init root=LABEL=nixos-24.05-x86_64 boot.shell_on_fail console=ttyS0,115200n8' " +
        '-drive file=/ws/dist/images/a/result/iso/nixos,,1.iso,media=cdrom,readonly=on,if=ide -nic none',
    );
  });

  it('KVM uses the host CPU; aarch64 the virt machine and ttyAMA0; a network in extraArgs replaces -nic none', () => {
    expect(qemuCommand({ ...request, accel: 'kvm' }).args.slice(0, 4)).toEqual(['-cpu', 'host', '-accel', 'kvm']);
    const arm = qemuCommand({ ...request, arch: 'aarch64', binary: qemuBinaryFor('aarch64'), extraArgs: ['-nic', 'user'] });
    expect(arm.command).toBe('qemu-system-aarch64');
    expect(arm.args.slice(0, 4)).toEqual(['-machine', 'virt', '-cpu', 'max']);
    expect(arm.args.join(' ')).toMatch(/console=ttyAMA0,115200n8 -drive \S+,if=virtio -nic user$/);
    expect(kernelCommandLine(['a', 'console=tty0'], 'x86_64')).toBe('a console=ttyS0,115200n8');
  });
});
