/**
 * boot-test's options file: `<projectRoot>/boot-test.json`, beside
 * project.json, holding the same options as the executor's (schema.json).
 *
 * Why a file of its own: Nx hashes a project's whole configuration (every
 * target's options) into every task of the project, so a check edited in
 * project.json changes the key of the image's build too. This file is read
 * by the executor when it runs, so it is no project configuration; the graph
 * plugin makes it an input of boot-test only (and of the build only when the
 * image's Nix code may see it: plugin/targets/inputs.ts, metadata.nixiso.bootTestOptions).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { NixisoError } from '../executor-result';
import type { BootTestExecutorSchema } from './schema';
import schema from './schema.json';

export const BOOT_TEST_OPTIONS_FILE = 'boot-test.json';

/** The part of JSON Schema that the executor's schema.json uses. */
interface Property {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  enum?: readonly unknown[];
  minimum?: number;
  items?: Property;
  properties?: Record<string, Property>;
  required?: readonly string[];
  additionalProperties?: boolean;
}

const SCHEMA = schema as unknown as Property & { properties: Record<string, Property> };

/** Keys an options file may hold besides the options: `$schema`, for an editor's completion. */
const IGNORED_KEYS = new Set(['$schema']);

/** How a value is shown in a message: JSON, cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a number';
  if (typeof value === 'number') return 'an integer';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function wanted(property: Property): string {
  const base =
    property.type === 'integer' ? 'an integer' : property.type === 'array' ? 'an array' : property.type === 'object' ? 'an object' : `a ${property.type}`;
  return property.minimum !== undefined ? `${base} ≥ ${property.minimum}` : base;
}

function hasType(value: unknown, type: Property['type']): boolean {
  switch (type) {
    case undefined:
      return true;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return !!value && typeof value === 'object' && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

/** A key path as JavaScript would write it: `checks[0].run`. */
const keyPath = (path: readonly (string | number)[]): string =>
  path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? `.${k}` : k)).join('');

/** Checks `value` against `property`; throws naming the file, the key and the bad value. */
function validate(value: unknown, property: Property, path: (string | number)[], file: string): void {
  const where = `${file}: ${keyPath(path)}`;
  if (!hasType(value, property.type)) throw new NixisoError(`${where} is ${shown(value)} (${typeOf(value)}); it must be ${wanted(property)}`);
  if (property.enum && !property.enum.includes(value)) {
    throw new NixisoError(`${where} is ${shown(value)}; it must be one of ${property.enum.join(', ')}`);
  }
  if (property.minimum !== undefined && typeof value === 'number' && value < property.minimum) {
    throw new NixisoError(`${where} is ${shown(value)}; it must be ${wanted(property)}`);
  }
  if (Array.isArray(value) && property.items) value.forEach((item, i) => validate(item, property.items as Property, [...path, i], file));
  if (property.type === 'object' && property.properties) validateObject(value as Record<string, unknown>, property, path, file);
}

function validateObject(value: Record<string, unknown>, property: Property, path: (string | number)[], file: string): void {
  const properties = property.properties ?? {};
  for (const [key, item] of Object.entries(value)) {
    if (!path.length && IGNORED_KEYS.has(key)) continue;
    const known = properties[key];
    if (!known) {
      if (property.additionalProperties === false || !path.length) {
        const where = path.length ? `${file}: ${keyPath(path)}` : file;
        throw new NixisoError(
          `${where}: unknown key "${key}" (set to ${shown(item)}); ${path.length ? 'a check takes' : 'boot-test takes'} ${Object.keys(properties).join(', ')}`,
        );
      }
      continue;
    }
    validate(item, known, [...path, key], file);
  }
  for (const key of property.required ?? []) {
    if (value[key] === undefined) throw new NixisoError(`${file}: ${keyPath(path)} has no "${key}"`);
  }
}

/**
 * The offset of the first JSON syntax error in `text` (`text.length` for one
 * at its end), or -1: a message's position where the JavaScript engine's
 * gives none (V8 says `Unexpected token ']', ..."rue" },` for a trailing comma).
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] !== close) fail();
        i++;
        return;
      }
    }
    if (c === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!literal) fail();
    i += (literal as RegExpExecArray)[0].length;
  };
  try {
    value();
    space();
    return i < text.length ? i : -1;
  } catch (offset) {
    return offset as number;
  }
}

/** Where in `text` the JSON error at `position` is, as line and column (1-based). */
function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return `line ${line}, column ${position - before.lastIndexOf('\n')}`;
}

/** The file as messages name it: relative to the working directory (the workspace root, where Nx runs executors) when inside it. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * The boot-test options in `<projectRootAbs>/boot-test.json`, validated
 * against the executor's schema (unknown keys, wrong types, values out of
 * range: a NixisoError naming the file, the key and the value); undefined
 * when there is no such file.
 */
export function readBootTestOptionsFile(projectRootAbs: string): { path: string; options: BootTestExecutorSchema } | undefined {
  const path = join(projectRootAbs, BOOT_TEST_OPTIONS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new NixisoError(`${displayPath(path)} cannot be read: ${(e as Error).message}`);
  }
  const file = displayPath(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const offset = jsonErrorOffset(text);
    const where = offset >= 0 ? ` at ${lineAndColumn(text, offset)}` : '';
    throw new NixisoError(`${file} is not valid JSON${where}: ${message}`);
  }
  if (!hasType(value, 'object')) {
    throw new NixisoError(`${file} holds ${typeOf(value)}; it must be a JSON object of boot-test options, e.g. { "checks": [{ "run": "nix --version", "expect": "^nix " }] }`);
  }
  validateObject(value as Record<string, unknown>, SCHEMA, [], file);
  const options = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([key]) => !IGNORED_KEYS.has(key)));
  return { path, options: options as BootTestExecutorSchema };
}

/**
 * The options boot-test runs with: those of the file, each replaced by the
 * target's (project.json, nx.json's targetDefaults, the command line) where
 * the target defines it. Key by key; a list (`checks`) is replaced whole.
 * This rests on schema.json setting no default for an option: Nx fills the
 * defaults into the options it hands the executor, and they would win.
 */
export function mergeBootTestOptions(fromFile: BootTestExecutorSchema | undefined, fromTarget: BootTestExecutorSchema): BootTestExecutorSchema {
  const merged: Record<string, unknown> = { ...(fromFile ?? {}) };
  for (const [key, value] of Object.entries(fromTarget)) if (value !== undefined) merged[key] = value;
  return merged as BootTestExecutorSchema;
}
