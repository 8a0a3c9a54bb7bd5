/**
 * The build's size budgets (options maxImageSize and maxClosureSize): parsed
 * once when the options are resolved, checked after the image is built and
 * before anything records it, so an image past its budget fails the build
 * like any other failure (no manifest.json, no image.json).
 */
import { binarySize } from '../../nix/building/progress';

export type BudgetOption = 'maxImageSize' | 'maxClosureSize';

export interface SizeBudgets {
  /** Largest image file allowed, in bytes. */
  maxImageSize?: number;
  /** Largest closure of the system's toplevel allowed, in bytes. */
  maxClosureSize?: number;
}

/** Decimal units as disk vendors and `du --si` count them, binary ones as Nix and `du -h` do. */
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const SIZE = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/**
 * A size option's value in bytes: an integer number of bytes, or a number
 * with a unit (`1.5GiB`, `800 MiB`, `4GB`). A unit without its `B` (`2G`) is
 * refused rather than guessed: `G` means GiB to du and GB to a disk vendor.
 * Else why the value is not a size, to follow the value in a message.
 */
export function sizeInBytes(value: unknown): number | { why: string } {
  const expected = {
    why: 'is not a size: give bytes as an integer, or a number with a unit (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. "1.5GiB" or "800MiB"',
  };
  const positive = { why: 'is not a size larger than 0 bytes' };
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return expected;
    return value > 0 ? value : positive;
  }
  if (typeof value !== 'string') return expected;
  const match = SIZE.exec(value.trim());
  if (!match) return expected;
  const [, amount, unit] = match;
  const factor = unit ? UNITS[unit.toLowerCase()] : 1;
  if (factor === undefined) return expected;
  if (!unit && amount.includes('.')) return { why: 'is a fraction of a byte: give whole bytes, or a unit (e.g. "1.5GiB")' };
  const bytes = Math.round(Number(amount) * factor);
  if (!Number.isSafeInteger(bytes)) return { why: 'is too large' };
  return bytes > 0 ? bytes : positive;
}

/** sizeInBytes, with an error that names the option and its value. */
export function parseSize(option: string, value: unknown): number | { error: string } {
  const bytes = sizeInBytes(value);
  return typeof bytes === 'number' ? bytes : { error: `option "${option}": ${JSON.stringify(value)} ${bytes.why}` };
}

/** The budgets among `options`, in bytes; the first bad value as an error naming its option. */
export function parseBudgets(options: Partial<Record<BudgetOption, number | string>>): SizeBudgets | { error: string } {
  const budgets: SizeBudgets = {};
  for (const option of ['maxImageSize', 'maxClosureSize'] as const) {
    const value = options[option];
    if (value === undefined || value === '') continue;
    const bytes = parseSize(option, value);
    if (typeof bytes !== 'number') return bytes;
    budgets[option] = bytes;
  }
  return budgets;
}

/** `1.12 GiB`: binary units, as `nix path-info -Sh` prints sizes. */
export function humanSize(bytes: number): string {
  return binarySize(bytes, 2, 'bytes');
}

/** `1.12 GiB (1202590842 bytes)`: readable, and exact for whoever compares it with `stat` or `nix path-info`. */
export function describeSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${humanSize(bytes)} (${bytes} bytes)`;
}

export interface MeasuredSizes {
  /** The image file's size (manifest sizeBytes). */
  imageSize: number;
  /** The toplevel's closure size, when it could be learned. */
  closureSize?: number;
}

export interface BudgetCheck {
  /** One line per budget exceeded, with the actual size and the budget. */
  exceeded: string[];
  /** One line per budget that could not be checked, and why. */
  unchecked: string[];
}

/**
 * Each budget against what was measured. A closure size that could not be
 * learned leaves its budget unchecked, said as such, rather than failing a
 * build that did nothing wrong (`closureUnknown` says why it is unknown).
 */
export function checkBudgets(budgets: SizeBudgets, sizes: MeasuredSizes, closureUnknown?: string): BudgetCheck {
  const exceeded: string[] = [];
  const unchecked: string[] = [];
  const over = (what: string, actual: number, option: BudgetOption, budget: number) =>
    `${what} is ${describeSize(actual)}, larger than ${option} ${describeSize(budget)} by ${describeSize(actual - budget)}`;
  if (budgets.maxImageSize !== undefined && sizes.imageSize > budgets.maxImageSize) {
    exceeded.push(over('the image file', sizes.imageSize, 'maxImageSize', budgets.maxImageSize));
  }
  if (budgets.maxClosureSize !== undefined) {
    if (sizes.closureSize === undefined) {
      unchecked.push(`maxClosureSize ${describeSize(budgets.maxClosureSize)} was not checked: ${closureUnknown ?? 'the closure size is unknown'}`);
    } else if (sizes.closureSize > budgets.maxClosureSize) {
      exceeded.push(over("the system's closure", sizes.closureSize, 'maxClosureSize', budgets.maxClosureSize));
    }
  }
  return { exceeded, unchecked };
}
