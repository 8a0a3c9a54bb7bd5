/**
 * Writes what the plugin's schema.json files derive: the `backend` option
 * from the backend registry (packages/nixiso/src/backends), the enum Nx
 * validates and Nx Console offers and the description that lists what each
 * backend runs; then eval's options from the build's (eval-schema.ts).
 *
 *     node -r @swc-node/register tools/scripts/sync-schemas.ts
 *
 * packages/nixiso/src/backends/schemas.spec.ts runs the same code and fails
 * when a checked-in schema differs. Only those properties change: the rest
 * of each file, its layout included, is left as it is.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Backend, BACKENDS } from '../../packages/nixiso/src/backends';
import { EVAL_SCHEMA, evalSchemaText } from './eval-schema';

export const SYNC_COMMAND = 'node -r @swc-node/register tools/scripts/sync-schemas.ts';

export const PACKAGE_SRC = resolve(__dirname, '../../packages/nixiso/src');

interface BackendProperty {
  /** The schema, relative to the package's src/. */
  schema: string;
  /** Written before the list of backends. */
  lead: string;
  /** Written after it. */
  tail?: string;
  /**
   * Whether the property has an `enum`. The image generator's has none: Nx
   * would refuse a value with "should be one of …" before its normalisation
   * names the option, and the description lists the choices anyway.
   */
  enum: boolean;
}

export const BACKEND_PROPERTIES: readonly BackendProperty[] = [
  { schema: 'executors/image-build/schema.json', lead: 'Tool that builds the image.', enum: true },
  { schema: 'executors/doctor/schema.json', lead: "Backend the build uses (default: the build target's, else nix).", enum: true },
  {
    schema: 'generators/image/schema.json',
    lead: 'How the inferred build target builds the image.',
    tail: 'Recorded in project.json when not `nix`.',
    enum: false,
  },
];

export function backendDescription(property: BackendProperty, backends: readonly Backend[]): string {
  const list = backends.map((b) => `${b.id}: ${b.description}`).join('; ');
  return [property.lead, `${list}.`, ...(property.tail ? [property.tail] : [])].join(' ');
}

/** Where the JSON value starting at `start` ends (exclusive): an object, an array or a string. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (depth === 0) return i + 1;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error(`unterminated JSON value at offset ${start}`);
}

/** `text` with the value of `key` inside the object `text[from, to)` replaced; undefined when the object has no such key. */
function replaceValue(text: string, from: number, to: number, key: string, value: string): string | undefined {
  const found = new RegExp(`"${key}"\\s*:\\s*`, 'g');
  found.lastIndex = from;
  const m = found.exec(text);
  if (!m || m.index >= to) return undefined;
  const start = m.index + m[0].length;
  return text.slice(0, start) + value + text.slice(valueEnd(text, start));
}

/** The schema text with its backend property written from `backends`. */
export function syncedSchema(text: string, property: BackendProperty, backends: readonly Backend[]): string {
  const keys = [...text.matchAll(/"backend"\s*:\s*\{/g)];
  if (keys.length !== 1) throw new Error(`${property.schema}: expected one "backend" property, found ${keys.length}`);
  const from = keys[0].index as number;
  const objectStart = from + keys[0][0].length - 1;
  let synced = replaceValue(text, from, valueEnd(text, objectStart), 'description', JSON.stringify(backendDescription(property, backends)));
  if (synced === undefined) throw new Error(`${property.schema}: the "backend" property has no description`);
  if (property.enum) {
    const ids = `[${backends.map((b) => JSON.stringify(b.id)).join(', ')}]`;
    synced = replaceValue(synced, from, valueEnd(synced, objectStart), 'enum', ids);
    if (synced === undefined) throw new Error(`${property.schema}: the "backend" property has no enum to write (add "enum": [])`);
  }
  JSON.parse(synced);
  return synced;
}

/** Each schema as it is under `srcRoot` and as the registry would write it. */
export function schemaSync(srcRoot: string, backends: readonly Backend[]): { file: string; current: string; synced: string }[] {
  return BACKEND_PROPERTIES.map((property) => {
    const file = join(srcRoot, property.schema);
    const current = readFileSync(file, 'utf8');
    return { file, current, synced: syncedSchema(current, property, backends) };
  });
}

if (require.main === module) {
  for (const { file, current, synced } of schemaSync(PACKAGE_SRC, BACKENDS)) {
    if (synced === current) continue;
    writeFileSync(file, synced);
    console.log(`updated ${file}`);
  }
  // After the build's schema: eval's is written from it.
  const evalText = evalSchemaText();
  if (readFileSync(EVAL_SCHEMA, 'utf8') !== evalText) {
    writeFileSync(EVAL_SCHEMA, evalText);
    console.log(`updated ${EVAL_SCHEMA}`);
  }
}
