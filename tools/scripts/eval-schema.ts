/**
 * The eval executor's schema.json from the build executor's: eval takes the
 * build's options, less those only a build has (BuildOnlyOption in
 * eval/schema.d.ts), with the build's types, defaults and descriptions.
 * sync-schemas.ts writes it:
 *
 *     node -r @swc-node/register tools/scripts/sync-schemas.ts
 *
 * packages/nixiso/src/executors/eval/schema.spec.ts fails when the checked-in
 * file differs from what this writes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOnlyOption } from '../../packages/nixiso/src/executors/eval/schema';

const EXECUTORS = join(__dirname, '../../packages/nixiso/src/executors');
export const BUILD_SCHEMA = join(EXECUTORS, 'image-build/schema.json');
export const EVAL_SCHEMA = join(EXECUTORS, 'eval/schema.json');

/** A Record, so that the compiler holds this list to BuildOnlyOption: none missing, none extra. */
const BUILD_ONLY: Record<BuildOnlyOption, true> = {
  backend: true,
  outLink: true,
  outputPath: true,
  builders: true,
  maxJobs: true,
  extraPlatforms: true,
  printBuildLogs: true,
  copyTo: true,
  nixosGenerate: true,
  maxImageSize: true,
  maxClosureSize: true,
};

export const BUILD_ONLY_OPTIONS = Object.keys(BUILD_ONLY) as BuildOnlyOption[];

interface Schema {
  properties: Record<string, unknown>;
  required?: string[];
  [key: string]: unknown;
}

/** Eval's schema: its own title and description, the build's options less the build-only ones, in the build's order. */
export function evalSchemaFrom(build: Schema, evalSchema: Schema): Schema {
  const taken = (name: string) => !(BUILD_ONLY_OPTIONS as string[]).includes(name);
  return {
    ...evalSchema,
    properties: Object.fromEntries(Object.entries(build.properties).filter(([name]) => taken(name))),
    required: (build.required ?? []).filter(taken),
  };
}

/** A value on one line, spaced as the schema files are: `{ "type": "string", "enum": ["a", "b"] }`. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length ? `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

/** The layout of the executors' schema.json files: one line per top-level key, and per option. */
export function schemaJson(schema: Schema): string {
  const lines = Object.entries(schema).map(([key, value]) => {
    if (key !== 'properties') return `  ${JSON.stringify(key)}: ${inline(value)}`;
    const options = Object.entries(value as Record<string, unknown>).map(([name, option]) => `    ${JSON.stringify(name)}: ${inline(option)}`);
    return `  "properties": {\n${options.join(',\n')}\n  }`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** What eval's schema.json should hold, as text. */
export function evalSchemaText(): string {
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Schema;
  return schemaJson(evalSchemaFrom(read(BUILD_SCHEMA), read(EVAL_SCHEMA)));
}

