import type { ClosureDiff } from '../../nix/store/closure-diff';
import { diffMarkdown, diffSummary, type ImageDiff, markdownText, shortCommit, signedSize } from './report';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const COMMIT = '3f9c2a1b7d4e8f60a1b2c3d4e5f60718293a4b5c';
const HASH = 'ggacfpa6q1pzj9pdpl126r1bqlgnz1mg';

const PACKAGES: ClosureDiff = {
  added: [{ name: 'openssh', versions: ['9.8p1'], size: 5 * MiB }],
  removed: [{ name: 'nano', versions: ['7.2'], size: 3 * MiB }],
  changed: [
    { name: 'firefox', before: ['128.0'], after: ['129.0'], sizeDelta: 4 * MiB },
    { name: 'mesa', before: [], after: [], sizeDelta: -12 * KiB },
  ],
};

function imageDiff(overrides: Partial<ImageDiff> = {}): ImageDiff {
  return {
    project: 'rescue',
    base: { ref: 'main', commit: COMMIT },
    status: 'changed',
    drvPath: { base: `/nix/store/${HASH}-rescue.iso.drv`, head: `/nix/store/${HASH.replace('g', 'h')}-rescue.iso.drv` },
    toplevel: { base: `/nix/store/${HASH}-nixos-system-rescue-24.05`, head: `/nix/store/${HASH.replace('g', 'h')}-nixos-system-rescue-24.05` },
    packages: PACKAGES,
    closureSize: { base: 1 * GiB, head: 1 * GiB + 35.2 * MiB },
    imageSize: { base: 1.12 * GiB, head: 1.15 * GiB },
    budgets: {},
    notes: [],
    ...overrides,
  };
}

/** A table row's cells as GitHub splits them: at each pipe a backslash does not escape. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

/** The tables in `markdown`: runs of lines starting with a pipe; each must be a header, a separator and rows of as many cells. */
function tables(markdown: string): string[][][] {
  const found: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|')) {
      if (!current) found.push((current = []));
      current.push(cells(line));
    } else {
      current = undefined;
    }
  }
  for (const table of found) {
    expect(table.length).toBeGreaterThanOrEqual(2);
    expect(table[1].every((cell) => /^:?-{3,}:?$/.test(cell))).toBe(true);
    for (const row of table) expect(row).toHaveLength(table[0].length);
  }
  return found;
}

describe('small pieces', () => {
  it('shortens a commit as git does in a large repository', () => {
    expect(shortCommit(COMMIT)).toBe('3f9c2a1b7d4e');
    expect(shortCommit('abc')).toBe('abc');
  });

  it.each([
    [0, '0 bytes'],
    [512, '+512 bytes'],
    [-512, '−512 bytes'],
    [35.2 * MiB, '+35.20 MiB'],
    [-1.5 * GiB, '−1.50 GiB'],
  ])('signs a change of %d bytes as %s', (bytes, text) => {
    expect(signedSize(bytes)).toBe(text);
  });

  it.each([
    ['firefox', 'firefox'],
    ['a|b', 'a\\|b'],
    ['1.0\n| x | y |', '1.0 \\| x \\| y \\|'],
    ['1.0\r\nb\rc', '1.0 b c'],
    ['`rm -rf`', '\\`rm -rf\\`'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['&lt;', '&amp;lt;'],
    ['ends with \\', 'ends with \\\\'],
    ['*bold* _it_ [link](x) ~~s~~', '\\*bold\\* \\_it\\_ \\[link\\](x) \\~\\~s\\~\\~'],
  ])('makes %j inert in Markdown', (text, escaped) => {
    expect(markdownText(text)).toBe(escaped);
  });
});

describe('diffMarkdown', () => {
  it('writes the sizes and the packages of a changed image as GitHub tables', () => {
    expect(diffMarkdown(imageDiff())).toBe(
      [
        '### rescue',
        '',
        'Compared with main (3f9c2a1b7d4e).',
        '',
        '| Size | main | head | Change |',
        '| --- | ---: | ---: | ---: |',
        '| Closure | 1.00 GiB | 1.03 GiB | +35.20 MiB |',
        '| Image file | 1.12 GiB | 1.15 GiB | +30.72 MiB |',
        '',
        '| Package | main | head | Size |',
        '| --- | --- | --- | ---: |',
        '| firefox | 128.0 | 129.0 | +4.00 MiB |',
        '| mesa | same | same | −12.00 KiB |',
        '| −nano | 7.2 | ∅ | −3.00 MiB |',
        '| +openssh | ∅ | 9.8p1 | +5.00 MiB |',
        '',
      ].join('\n'),
    );
    expect(tables(diffMarkdown(imageDiff()))).toHaveLength(2);
  });

  it('says so when nothing changed, with the base', () => {
    const markdown = diffMarkdown(
      imageDiff({ status: 'unchanged', drvPath: { base: 'x.drv', head: 'x.drv' }, packages: undefined, toplevel: undefined, closureSize: undefined, imageSize: undefined }),
    );
    expect(markdown).toBe('### rescue\n\nNo change in the image: the derivation is the same as at main (3f9c2a1b7d4e).\n');
    expect(tables(markdown)).toEqual([]);
  });

  it('says a new image is new, with its sizes against nothing', () => {
    const markdown = diffMarkdown(
      imageDiff({ status: 'new', packages: undefined, closureSize: { head: GiB }, imageSize: { head: 1.12 * GiB }, budgets: { maxImageSize: GiB } }),
    );
    expect(markdown).toContain('New image: rescue is not there at main (3f9c2a1b7d4e).');
    expect(markdown).toContain('| Closure | ∅ | 1.00 GiB |  |');
    expect(markdown).toContain('| Image file | ∅ | 1.12 GiB (budget 1.00 GiB) ⚠️ **over budget** |  |');
    expect(markdown).not.toContain('| Package |');
    expect(tables(markdown)).toHaveLength(1);
  });

  it('names the configuration of a flake with several', () => {
    expect(diffMarkdown(imageDiff({ configuration: 'offline' }))).toMatch(/^### rescue \(offline\)\n/);
  });

  it.each([
    ['under both budgets', { maxClosureSize: 2 * GiB, maxImageSize: 2 * GiB }, '1.03 GiB (budget 2.00 GiB)', '1.15 GiB (budget 2.00 GiB)'],
    ['over the image budget only', { maxImageSize: 1.13 * GiB }, '1.03 GiB', '1.15 GiB (budget 1.13 GiB) ⚠️ **over budget**'],
    ['over the closure budget only', { maxClosureSize: GiB }, '1.03 GiB (budget 1.00 GiB) ⚠️ **over budget**', '1.15 GiB'],
  ])('shows the budgets: %s', (_, budgets, closure, image) => {
    const markdown = diffMarkdown(imageDiff({ budgets }));
    const [sizes] = tables(markdown);
    expect(sizes[2][2]).toBe(closure);
    expect(sizes[3][2]).toBe(image);
  });

  it('says which sizes are unknown', () => {
    const [sizes] = tables(diffMarkdown(imageDiff({ closureSize: { head: GiB }, imageSize: undefined, budgets: { maxImageSize: GiB } })));
    expect(sizes[2]).toEqual(['Closure', 'unknown', '1.00 GiB', '']);
    expect(sizes[3]).toEqual(['Image file', 'unknown', 'unknown (budget 1.00 GiB)', '']);
  });

  it('shows versions as diff-closures does: several joined, ε for none, ∅ for absent', () => {
    const packages: ClosureDiff = {
      added: [
        { name: 'etc', versions: [''], size: 12 },
        { name: 'qt', versions: ['5.15.14', '6.7.0'], size: MiB },
      ],
      removed: [],
      changed: [{ name: 'python3', before: ['3.11.9'], after: [], sizeDelta: -100 * MiB }],
    };
    const [, table] = tables(diffMarkdown(imageDiff({ packages })));
    expect(table.slice(2)).toEqual([
      ['+etc', '∅', 'ε', '+12 bytes'],
      ['python3', '3.11.9', '∅', '−100.00 MiB'],
      ['+qt', '∅', '5.15.14, 6.7.0', '+1.00 MiB'],
    ]);
  });

  it('says so when no package changed', () => {
    const markdown = diffMarkdown(imageDiff({ packages: { added: [], removed: [], changed: [] } }));
    expect(markdown).toContain('No package was added, removed or changed in version');
    expect(tables(markdown)).toHaveLength(1);
  });

  it('lists the notes', () => {
    const markdown = diffMarkdown(imageDiff({ packages: undefined, notes: ['main: the system is unknown', 'two\nlines'] }));
    expect(markdown.endsWith('\n\n- main: the system is unknown\n- two lines\n')).toBe(true);
    expect(markdown).not.toContain('| Package |');
  });

  it('cannot be broken by what a name, a version, a ref or a note holds', () => {
    const packages: ClosureDiff = {
      added: [{ name: 'evil|name', versions: ['1.0\n| injected | row | here | now |'], size: 1 }],
      removed: [{ name: '<img src=x onerror=alert(1)>', versions: ['`x`'], size: 1 }],
      changed: [{ name: 'tail\\', before: ['a|b'], after: ['c\r\nd'], sizeDelta: 1 }],
    };
    const diff = imageDiff({ project: 'img|`x`', base: { ref: 'feat|x\n# heading', commit: COMMIT }, packages, notes: ['<b>\n| a |'] });
    const markdown = diffMarkdown(diff);
    const found = tables(markdown);
    expect(found).toHaveLength(2);
    expect(found[1]).toHaveLength(2 + 3);
    expect(found[1][0]).toEqual(['Package', 'feat\\|x # heading', 'head', 'Size']);
    expect(markdown).not.toMatch(/<(img|b)/);
    expect(markdown).not.toMatch(/(?<!\\)`/);
    expect(markdown.split('\n').filter((line) => line.startsWith('#'))).toEqual(['### img\\|\\`x\\`']);
    expect(markdown).toContain('- &lt;b&gt; \\| a \\|');
  });
});

describe('diffSummary', () => {
  it('tells in one line what changed and by how much', () => {
    expect(diffSummary(imageDiff())).toBe(
      'rescue: firefox 128.0 → 129.0, +openssh 9.8p1, −nano, mesa −12.00 KiB; closure +35.20 MiB; image 1.12 GiB → 1.15 GiB',
    );
  });

  it('says when nothing changed', () => {
    expect(diffSummary(imageDiff({ status: 'unchanged', packages: undefined, closureSize: undefined, imageSize: undefined }))).toBe(
      'rescue: no change in the image, the same derivation as at main (3f9c2a1b7d4e)',
    );
  });

  it('says when the image is new, with its sizes', () => {
    expect(diffSummary(imageDiff({ status: 'new', packages: undefined, closureSize: { head: GiB }, imageSize: { head: 1.12 * GiB } }))).toBe(
      'rescue: new image, not at main (3f9c2a1b7d4e); closure 1.00 GiB; image 1.12 GiB',
    );
  });

  it('names the configuration, and says what was not compared, with the notes below', () => {
    expect(diffSummary(imageDiff({ configuration: 'offline', packages: undefined, imageSize: undefined, notes: ['HEAD: no toplevel', 'a\u001b[31mred'] }))).toBe(
      'rescue (offline): packages not compared; closure +35.20 MiB\n  HEAD: no toplevel\n  a [31mred',
    );
  });

  it('says when no package changed', () => {
    expect(diffSummary(imageDiff({ packages: { added: [], removed: [], changed: [] }, closureSize: undefined }))).toBe(
      'rescue: no package changes; image 1.12 GiB → 1.15 GiB',
    );
  });

  it('shows the versions of several, and none for a package without a version', () => {
    const packages: ClosureDiff = {
      added: [
        { name: 'etc', versions: [''], size: 1 },
        { name: 'qt', versions: ['5.15.14', '6.7.0'], size: 1 },
      ],
      removed: [],
      changed: [{ name: 'python3', before: ['3.11.9', '3.12.4'], after: [], sizeDelta: -1 }],
    };
    expect(diffSummary(imageDiff({ packages, closureSize: undefined, imageSize: undefined }))).toBe(
      'rescue: python3 3.11.9, 3.12.4 → ∅, +etc, +qt 5.15.14, 6.7.0',
    );
  });

  it('says when the image or the closure is over its budget', () => {
    expect(diffSummary(imageDiff({ packages: undefined, budgets: { maxImageSize: 1.13 * GiB, maxClosureSize: GiB } }))).toBe(
      'rescue: packages not compared; closure +35.20 MiB (over its budget of 1.00 GiB); image 1.12 GiB → 1.15 GiB (over its budget of 1.13 GiB)',
    );
    expect(diffSummary(imageDiff({ packages: undefined, budgets: { maxImageSize: 2 * GiB } }))).not.toContain('budget');
  });

  it('cuts a long list of packages, saying how many more', () => {
    const added = Array.from({ length: 14 }, (_, i) => ({ name: `pkg${String(i).padStart(2, '0')}`, versions: ['1.0'], size: 1 }));
    const summary = diffSummary(imageDiff({ packages: { added, removed: [], changed: [] }, closureSize: undefined, imageSize: undefined }));
    expect(summary).toBe(`rescue: ${added.slice(0, 10).map((a) => `+${a.name} 1.0`).join(', ')} and 4 more`);
    const ten = diffSummary(imageDiff({ packages: { added: added.slice(0, 10), removed: [], changed: [] }, closureSize: undefined, imageSize: undefined }));
    expect(ten).not.toContain('more');
  });
});
