import { readFileSync } from 'node:fs';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tools/scripts belongs to no project; eval's schema is checked against what it writes
import { BUILD_ONLY_OPTIONS, BUILD_SCHEMA, EVAL_SCHEMA, evalSchemaText } from '../../../../../tools/scripts/eval-schema';

const properties = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { properties: Record<string, unknown> }).properties;

describe("eval's options", () => {
  it("are the build's, written from its schema.json: run tools/scripts/sync-schemas.ts after changing it", () => {
    expect(readFileSync(EVAL_SCHEMA, 'utf8')).toBe(evalSchemaText());
  });

  it('leave out only options that the build has', () => {
    const build = properties(BUILD_SCHEMA);
    expect(BUILD_ONLY_OPTIONS.filter((name) => !(name in build))).toEqual([]);
    expect(Object.keys(properties(EVAL_SCHEMA))).toEqual(Object.keys(build).filter((name) => !(BUILD_ONLY_OPTIONS as string[]).includes(name)));
  });
});
