export interface BootTestCheck {
  /** Shell command (sh) run in the booted system with the autologin user's environment. */
  run: string;
  /** Regular expression its output (stdout and stderr) must match. */
  expect?: string;
  /** Seconds the command may take (default 120). */
  timeoutSeconds?: number;
}

export interface BootTestExecutorSchema {
  /** Seconds until the boot must have settled (default 180 with KVM, 600 with TCG). */
  timeoutSeconds?: number;
  memoryMiB?: number;
  smp?: number;
  accel?: 'auto' | 'kvm' | 'tcg';
  /** Default qemu-system-<arch> for the image's kernel, from PATH. */
  qemuBinary?: string;
  extraQemuArgs?: string[];
  checks?: BootTestCheck[];
  expectAutologin?: boolean;
  /** The build's outputPath: where its manifest.json is and the report goes (default dist/<projectRoot>). */
  outputPath?: string;
  /** Print every console line (default false: progress and, on failure, the last lines). */
  showConsole?: boolean;
}
