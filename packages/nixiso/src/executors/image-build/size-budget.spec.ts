import { checkBudgets, describeSize, humanSize, parseBudgets, parseSize } from './size-budget';

describe('parseSize', () => {
  it.each([
    [1073741824, 1073741824],
    ['1073741824', 1073741824],
    ['1.5GiB', 1610612736],
    ['800MiB', 838860800],
    ['800 MiB', 838860800],
    ['4GB', 4e9],
    ['2kb', 2000],
    ['512KiB', 524288],
    ['1TiB', 2 ** 40],
    ['10B', 10],
    ['.5 GiB', 536870912],
  ])('reads %j as %d bytes', (value, bytes) => {
    expect(parseSize('maxImageSize', value)).toBe(bytes);
  });

  it.each([
    ['2G', 'is not a size'],
    ['1.5 gigs', 'is not a size'],
    ['-1GiB', 'is not a size'],
    ['', 'is not a size'],
    [0, 'is not a size larger than 0 bytes'],
    ['0MiB', 'is not a size larger than 0 bytes'],
    [1.5, 'is not a size'],
    ['1.5', 'is a fraction of a byte'],
    [true, 'is not a size'],
    ['99999999999TiB', 'is too large'],
  ])('refuses %j, naming the option and the value', (value, why) => {
    const result = parseSize('maxClosureSize', value);
    expect(result).toEqual({ error: expect.stringContaining(`option "maxClosureSize": ${JSON.stringify(value)} ${why}`) });
  });

  it('says which units it takes', () => {
    expect(parseSize('maxImageSize', '2G')).toEqual({ error: expect.stringMatching(/KiB, MiB, GiB, TiB\), e\.g\. "1\.5GiB"/) });
  });
});

describe('parseBudgets', () => {
  it('reads both options, and none when neither is set', () => {
    expect(parseBudgets({ maxImageSize: '1GiB', maxClosureSize: 5000 })).toEqual({ maxImageSize: 2 ** 30, maxClosureSize: 5000 });
    expect(parseBudgets({})).toEqual({});
  });

  it('fails on the first bad value', () => {
    expect(parseBudgets({ maxImageSize: '1GiB', maxClosureSize: 'lots' })).toEqual({ error: expect.stringContaining('option "maxClosureSize": "lots"') });
  });
});

describe('sizes in messages', () => {
  it('prints binary units with the exact bytes', () => {
    expect(humanSize(1023)).toBe('1023 bytes');
    expect(humanSize(1536)).toBe('1.50 KiB');
    expect(humanSize(1202590842)).toBe('1.12 GiB');
    expect(describeSize(1202590842)).toBe('1.12 GiB (1202590842 bytes)');
    expect(describeSize(12)).toBe('12 bytes');
  });
});

describe('checkBudgets', () => {
  it('passes what is within the budget, equal included', () => {
    expect(checkBudgets({ maxImageSize: 100, maxClosureSize: 200 }, { imageSize: 100, closureSize: 150 })).toEqual({ exceeded: [], unchecked: [] });
    expect(checkBudgets({}, { imageSize: 10 ** 12 })).toEqual({ exceeded: [], unchecked: [] });
  });

  it('names the actual size, the budget and the excess of each budget exceeded', () => {
    const { exceeded } = checkBudgets({ maxImageSize: 2 ** 30, maxClosureSize: 2 ** 20 }, { imageSize: 1202590842, closureSize: 3 * 2 ** 20 });
    expect(exceeded).toEqual([
      'the image file is 1.12 GiB (1202590842 bytes), larger than maxImageSize 1.00 GiB (1073741824 bytes) by 122.88 MiB (128849018 bytes)',
      "the system's closure is 3.00 MiB (3145728 bytes), larger than maxClosureSize 1.00 MiB (1048576 bytes) by 2.00 MiB (2097152 bytes)",
    ]);
  });

  it('leaves a closure budget unchecked, saying why, when the closure size is unknown', () => {
    expect(checkBudgets({ maxClosureSize: 2048 }, { imageSize: 1 }, 'the system is not in the store')).toEqual({
      exceeded: [],
      unchecked: ['maxClosureSize 2.00 KiB (2048 bytes) was not checked: the system is not in the store'],
    });
  });
});
