/**
 * What the diff target found, as data (diff.json), as a Markdown section for
 * a pull request or a CI job summary (diff.md) and as terminal lines. Pure:
 * the executor writes and prints what these functions return.
 */
import type { ClosureDiff, PackageChange, PackageVersions } from '../../nix/store/closure-diff';
import { humanSize } from '../image-build/size-budget';

export type DiffStatus = 'unchanged' | 'changed' | 'new';

export interface ImageDiff {
  project: string;
  /** The flake configuration's name, when the project has several. */
  configuration?: string;
  /** The base as given (e.g. "main") and the commit it resolved to. */
  base: { ref: string; commit: string };
  status: DiffStatus;
  drvPath: { base?: string; head: string };
  toplevel?: { base?: string; head?: string };
  /** Absent when unchanged (nothing was built) or when a closure could not be read. */
  packages?: ClosureDiff;
  /** Bytes. */
  closureSize?: { base?: number; head?: number };
  /** Bytes, the image file (the ISO). */
  imageSize?: { base?: number; head?: number };
  /** Bytes, the build's options. */
  budgets: { maxImageSize?: number; maxClosureSize?: number };
  /** What could not be learned, one line each. */
  notes: string[];
}

/** As many hex digits as git prints for a commit in a large repository: unambiguous, still short. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 12);
}

/** `+35.20 MiB`, `−1.00 KiB`, `0 bytes`: a change of size, with the sign a reader looks for first. */
export function signedSize(bytes: number): string {
  if (bytes === 0) return humanSize(0);
  return `${bytes > 0 ? '+' : '−'}${humanSize(Math.abs(bytes))}`;
}

/** How diff-closures shows a version set: ∅ for none, ε for the empty version. */
function versionList(versions: readonly string[]): string {
  return versions.length ? versions.map((version) => version || 'ε').join(', ') : '∅';
}

/**
 * Text from store path names, refs and notes, made inert in Markdown: a `|`
 * would end a table cell, a newline the table, `<`/`>` open HTML, a backtick
 * or `*`, `_`, `[`, `~` start formatting, and a trailing backslash would
 * escape the `|` after it. Store names cannot hold most of these, but
 * diff.json and git refs can be written by anyone.
 */
export function markdownText(text: string): string {
  return text
    .replace(/\r\n?|\n/g, ' ')
    .replace(/[\\`*_[\]~|]/g, (char) => `\\${char}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Control characters (escape sequences, carriage returns) would drive the terminal rather than be read. */
function terminalText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function imageTitle(diff: ImageDiff): string {
  return diff.configuration ? `${diff.project} (${diff.configuration})` : diff.project;
}

function baseText(diff: ImageDiff): string {
  return `${diff.base.ref} (${shortCommit(diff.base.commit)})`;
}

function sizeCell(bytes: number | undefined, absent: string): string {
  return bytes === undefined ? absent : humanSize(bytes);
}

function sizeRow(label: string, sizes: { base?: number; head?: number } | undefined, budget: number | undefined, isNew: boolean): string {
  const base = isNew ? '∅' : sizeCell(sizes?.base, 'unknown');
  let head = sizeCell(sizes?.head, 'unknown');
  if (budget !== undefined) {
    head += ` (budget ${humanSize(budget)})`;
    if (sizes?.head !== undefined && sizes.head > budget) head += ' ⚠️ **over budget**';
  }
  const change = sizes?.base !== undefined && sizes.head !== undefined && !isNew ? signedSize(sizes.head - sizes.base) : '';
  return `| ${label} | ${base} | ${head} | ${change} |`;
}

function sizesTable(diff: ImageDiff): string[] {
  const isNew = diff.status === 'new';
  return [
    `| Size | ${markdownText(diff.base.ref)} | head | Change |`,
    '| --- | ---: | ---: | ---: |',
    sizeRow('Closure', diff.closureSize, diff.budgets.maxClosureSize, isNew),
    sizeRow('Image file', diff.imageSize, diff.budgets.maxImageSize, isNew),
  ];
}

interface PackageRow {
  name: string;
  cells: [string, string, string, string];
}

function packageRows(packages: ClosureDiff): PackageRow[] {
  const version = (versions: readonly string[]) => markdownText(versionList(versions));
  const rows: PackageRow[] = [
    ...packages.changed.map((c): PackageRow => {
      const sizeOnly = !c.before.length && !c.after.length;
      return {
        name: c.name,
        cells: [markdownText(c.name), sizeOnly ? 'same' : version(c.before), sizeOnly ? 'same' : version(c.after), signedSize(c.sizeDelta)],
      };
    }),
    ...packages.added.map((a): PackageRow => ({ name: a.name, cells: [`+${markdownText(a.name)}`, '∅', version(a.versions), signedSize(a.size)] })),
    ...packages.removed.map((r): PackageRow => ({ name: r.name, cells: [`−${markdownText(r.name)}`, version(r.versions), '∅', signedSize(-r.size)] })),
  ];
  // One list by name, as diff-closures prints it, whatever the kind of change.
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function packagesTable(diff: ImageDiff, packages: ClosureDiff): string[] {
  const rows = packageRows(packages);
  if (!rows.length) return ['No package was added, removed or changed in version, and no package changed in size by 8 KiB or more.'];
  return [
    `| Package | ${markdownText(diff.base.ref)} | head | Size |`,
    '| --- | --- | --- | ---: |',
    ...rows.map((row) => `| ${row.cells.join(' | ')} |`),
  ];
}

/**
 * One Markdown section for the image, to be concatenated with the others'
 * into a pull request comment or a CI job summary: a heading, then either one
 * sentence (nothing changed, or the image is new) or the tables.
 */
export function diffMarkdown(diff: ImageDiff): string {
  const blocks: string[][] = [[`### ${markdownText(imageTitle(diff))}`]];
  const base = markdownText(baseText(diff));
  if (diff.status === 'unchanged') {
    blocks.push([`No change in the image: the derivation is the same as at ${base}.`]);
  } else if (diff.status === 'new') {
    blocks.push([`New image: ${markdownText(diff.project)}${diff.configuration ? ` (${markdownText(diff.configuration)})` : ''} is not there at ${base}.`], sizesTable(diff));
  } else {
    blocks.push([`Compared with ${base}.`], sizesTable(diff));
    if (diff.packages) blocks.push(packagesTable(diff, diff.packages));
  }
  if (diff.notes.length) blocks.push(diff.notes.map((note) => `- ${markdownText(note)}`));
  return `${blocks.map((block) => block.join('\n')).join('\n\n')}\n`;
}

/** Past this many, a summary line says how many more there are rather than list them. */
const SUMMARY_PACKAGES = 10;

function versionChange(change: PackageChange): string {
  return change.before.length || change.after.length
    ? `${change.name} ${versionList(change.before)} → ${versionList(change.after)}`
    : `${change.name} ${signedSize(change.sizeDelta)}`;
}

function added(pkg: PackageVersions): string {
  const versions = pkg.versions.filter(Boolean);
  return versions.length ? `+${pkg.name} ${versions.join(', ')}` : `+${pkg.name}`;
}

/** Version changes first, then what came and went, then changes of size alone: in the order a reviewer asks. */
function packageSummary(packages: ClosureDiff): string {
  const versioned = packages.changed.filter((c) => c.before.length || c.after.length);
  const sizeOnly = packages.changed.filter((c) => !c.before.length && !c.after.length);
  const items = [
    ...versioned.map(versionChange),
    ...packages.added.map(added),
    ...packages.removed.map((r) => `−${r.name}`),
    ...sizeOnly.map(versionChange),
  ];
  if (!items.length) return 'no package changes';
  if (items.length <= SUMMARY_PACKAGES) return items.join(', ');
  return `${items.slice(0, SUMMARY_PACKAGES).join(', ')} and ${items.length - SUMMARY_PACKAGES} more`;
}

function sizeSummary(label: string, sizes: { base?: number; head?: number } | undefined, budget: number | undefined, delta: boolean): string | undefined {
  const { base, head } = sizes ?? {};
  let text: string;
  if (head === undefined) return undefined;
  if (base === undefined) text = `${label} ${humanSize(head)}`;
  else if (delta) text = `${label} ${signedSize(head - base)}`;
  else text = `${label} ${humanSize(base)} → ${humanSize(head)}`;
  if (budget !== undefined && head > budget) text += ` (over its budget of ${humanSize(budget)})`;
  return text;
}

/**
 * The terminal's account of the image, a line like `rescue: firefox 128.0 →
 * 129.0, +openssh 9.8, −nano; closure +35.20 MiB; image 1.12 GiB → 1.15 GiB`,
 * then the notes, indented.
 */
export function diffSummary(diff: ImageDiff): string {
  const title = imageTitle(diff);
  let parts: string[];
  if (diff.status === 'unchanged') {
    parts = [`no change in the image, the same derivation as at ${baseText(diff)}`];
  } else {
    parts = [
      diff.status === 'new' ? `new image, not at ${baseText(diff)}` : diff.packages ? packageSummary(diff.packages) : 'packages not compared',
      sizeSummary('closure', diff.closureSize, diff.budgets.maxClosureSize, true),
      sizeSummary('image', diff.imageSize, diff.budgets.maxImageSize, false),
    ].filter((part): part is string => part !== undefined);
  }
  const lines = [`${title}: ${parts.join('; ')}`, ...diff.notes.map((note) => `  ${note}`)];
  return lines.map(terminalText).join('\n');
}
