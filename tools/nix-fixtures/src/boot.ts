/**
 * Booting the stand-in's ISO in tests: where the host kernel is, what is
 * missing for a boot, the boot entry read back from the ISO (as the boot-test
 * executor reads it), and a QEMU session on the serial console.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where tools/scripts/install-deps.sh puts the kernel the stand-in's ISO builder copies. */
export const DEFAULT_FIXTURE_KERNEL = '/var/lib/nixiso-fixtures/vmlinuz';

/** The kernel the ISO builder reads: NIXISO_FIXTURE_KERNEL, else the default path. */
export function fixtureKernelPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NIXISO_FIXTURE_KERNEL || DEFAULT_FIXTURE_KERNEL;
}

function onPath(name: string, pathValue = process.env.PATH ?? ''): boolean {
  return pathValue.split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

/** What a boot test needs on the host and does not find (empty when it can run). */
export function missingBootPrerequisites(env: NodeJS.ProcessEnv = process.env): string[] {
  const missing: string[] = [];
  if (!onPath('qemu-system-x86_64', env.PATH)) missing.push('qemu-system-x86_64 (apt package qemu-system-x86)');
  if (!onPath('cpio', env.PATH)) missing.push('cpio');
  if (!existsSync('/bin/busybox')) missing.push('/bin/busybox (busybox-static)');
  if (!existsSync('/bin/bash-static')) missing.push('/bin/bash-static (bash-static)');
  // Login shells (nixpkgs/pkgs/shells.nix): the host's zsh and fish, made self-contained with patchelf.
  if (!existsSync('/bin/zsh')) missing.push('/bin/zsh (zsh)');
  if (!existsSync('/usr/share/zsh/functions/Prompts')) missing.push('/usr/share/zsh/functions (zsh-common)');
  if (!existsSync('/usr/bin/fish')) missing.push('/usr/bin/fish (fish)');
  if (!onPath('patchelf', env.PATH)) missing.push('patchelf');
  const kernel = fixtureKernelPath(env);
  if (!existsSync(kernel) || statSync(kernel).size === 0) missing.push(`a kernel at ${kernel}`);
  return missing;
}

export function bootPrerequisitesMessage(missing: string[]): string {
  return `Booting the stand-in ISO needs ${missing.join(', ')}: run tools/scripts/install-deps.sh (as root).`;
}

export interface BootEntry {
  /** Paths inside the ISO, as LINUX/INITRD name them. */
  kernelPath: string;
  initrdPath: string;
  /** The kernel parameters: the DEFAULT label's APPEND, or what follows the kernel on grub.cfg's linux line. */
  append: string;
}

/** The DEFAULT label's LINUX, INITRD and APPEND from an isolinux.cfg. */
export function parseIsolinuxCfg(text: string): BootEntry {
  const lines = text.split('\n').map((l) => l.trim());
  const wanted = /^DEFAULT\s+(\S+)/i.exec(lines.find((l) => /^DEFAULT\s/i.test(l)) ?? '')?.[1];
  let label: string | undefined;
  const entries = new Map<string, Partial<BootEntry>>();
  for (const line of lines) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m;
    if (/^LABEL$/i.test(key)) { label = value; entries.set(label, {}); continue; }
    if (!label) continue;
    const e = entries.get(label)!;
    if (/^(LINUX|KERNEL)$/i.test(key)) e.kernelPath = value;
    else if (/^INITRD$/i.test(key)) e.initrdPath = value;
    else if (/^APPEND$/i.test(key)) e.append = value;
  }
  const entry = entries.get(wanted ?? [...entries.keys()][0] ?? '');
  if (!entry?.kernelPath || !entry.initrdPath) throw new Error(`isolinux.cfg has no complete DEFAULT entry:\n${text}`);
  return { kernelPath: entry.kernelPath, initrdPath: entry.initrdPath, append: entry.append ?? '' };
}

/** The first `linux` and `initrd` lines of a grub.cfg (its first menuentry), GRUB variables such as `${isoboot}` dropped. */
export function parseGrubCfg(text: string): BootEntry {
  const linux = /^\s*linux\s+(\S+)[ \t]*(.*)$/m.exec(text);
  const initrd = /^\s*initrd\s+(\S+)/m.exec(text);
  if (!linux || !initrd) throw new Error(`grub.cfg has no linux and initrd lines:\n${text}`);
  return { kernelPath: linux[1], initrdPath: initrd[1], append: linux[2].replace(/\$\{\w+\}\s*/g, '').trim() };
}

/**
 * Reads the boot entry of an ISO (isolinux.cfg, else grub.cfg where the
 * stand-in's release writes it: /EFI/BOOT from 24.05, /EFI/boot before) and
 * extracts its kernel and initrd into `dir` (with xorriso).
 */
export function extractBootEntry(isoFile: string, dir: string): BootEntry & { kernel: string; initrd: string } {
  mkdirSync(dir, { recursive: true });
  const xorriso = (args: string[]) => spawnSync('xorriso', ['-osirrox', 'on', '-indev', isoFile, ...args], { encoding: 'utf8' });
  const configs: [string, (text: string) => BootEntry][] = [
    ['/isolinux/isolinux.cfg', parseIsolinuxCfg], ['/EFI/BOOT/grub.cfg', parseGrubCfg], ['/EFI/boot/grub.cfg', parseGrubCfg],
  ];
  const found = configs.map(([inner, parse], i) => ({ inner, parse, out: join(dir, `boot-${i}.cfg`) }))
    .find(({ inner, out }) => xorriso(['-extract', inner, out]).status === 0);
  if (!found) throw new Error(`${isoFile} has none of ${configs.map(([inner]) => inner).join(', ')}`);
  const entry = found.parse(readFileSync(found.out, 'utf8'));
  const kernel = join(dir, 'kernel');
  const initrd = join(dir, 'initrd');
  const r = xorriso(['-extract', entry.kernelPath, kernel, '-extract', entry.initrdPath, initrd]);
  if (r.status !== 0) throw new Error(`xorriso could not extract ${entry.kernelPath} and ${entry.initrdPath}:\n${r.stderr}`);
  return { ...entry, kernel, initrd };
}

// Colours, cursor moves and window titles, as a terminal would swallow them,
// and the charset shifts (SO/SI) that TERM=linux's terminfo puts after every
// colour reset (zsh's and fish's prompts: `\e[m\x0f`).
// eslint-disable-next-line no-control-regex -- matching ESC and BEL is the point
const TERMINAL_CODES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x0e\x0f]/g;

/** The console as a reader sees it: no terminal codes, \n line ends. */
export function plainConsole(raw: string): string {
  return raw.replace(TERMINAL_CODES, '').replace(/\r\n?/g, '\n');
}

export interface QemuSession {
  /** Everything the serial console printed so far, raw. */
  output(): string;
  /** Length of the plain console so far: pass it to waitFor to match only what comes after. */
  mark(): number;
  /** Resolves once the plain console (from `since`) matches `pattern`, else rejects after `timeoutMs` with the console. */
  waitFor(pattern: RegExp, timeoutMs: number, since?: number): Promise<RegExpExecArray>;
  /** Types a line on the serial console. */
  type(line: string): void;
  /** Resolves with QEMU's exit code; rejects after `timeoutMs` (and kills it). */
  exit(timeoutMs: number): Promise<number | null>;
  kill(): void;
  startedAt: number;
}

/** Boots a kernel and initrd headless under QEMU (TCG), serial console on stdio, no reboot. */
export function bootQemu(opts: { kernel: string; initrd: string; append: string; memoryMiB?: number }): QemuSession {
  const args = [
    '-nographic', '-no-reboot', '-accel', 'tcg', '-m', String(opts.memoryMiB ?? 512), '-smp', '1',
    '-kernel', opts.kernel, '-initrd', opts.initrd, '-append', opts.append,
  ];
  const child: ChildProcessWithoutNullStreams = spawn('qemu-system-x86_64', args, { stdio: 'pipe' });
  let raw = '';
  const listeners = new Set<() => void>();
  const onData = (d: string) => { raw += d; listeners.forEach((l) => l()); };
  // Decoded per stream, so a character split across reads stays whole.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { exitCode = code; listeners.forEach((l) => l()); resolve(code); }));
  const kill = () => { if (exitCode === undefined) child.kill('SIGKILL'); };
  return {
    startedAt: Date.now(),
    output: () => raw,
    kill,
    type: (line) => child.stdin.write(`${line}\r`),
    mark: () => plainConsole(raw).length,
    waitFor: (pattern, timeoutMs, since = 0) => new Promise((resolve, reject) => {
      const check = () => {
        const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(plainConsole(raw).slice(since));
        if (m) { done(); resolve(m); return; }
        if (exitCode !== undefined) { done(); reject(new Error(`QEMU exited (${exitCode}) before ${pattern}; console:\n${plainConsole(raw)}`)); }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no ${pattern} within ${timeoutMs} ms; console:\n${plainConsole(raw)}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); listeners.delete(check); };
      listeners.add(check);
      check();
    }),
    exit: (timeoutMs) => Promise.race([
      exited,
      new Promise<number | null>((_, reject) => setTimeout(() => { kill(); reject(new Error(`QEMU still running after ${timeoutMs} ms; console:\n${plainConsole(raw)}`)); }, timeoutMs).unref()),
    ]),
  };
}
