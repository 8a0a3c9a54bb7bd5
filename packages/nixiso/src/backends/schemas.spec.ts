import { relative } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tools/scripts belongs to no project; the schemas are written by its code
import { BACKEND_PROPERTIES, PACKAGE_SRC, schemaSync, SYNC_COMMAND, syncedSchema } from '../../../../tools/scripts/sync-schemas';
import { BACKEND_IDS, BACKENDS } from './index';

describe('the schemas’ backend option', () => {
  it('is written from the registry: enum and description', () => {
    const stale = schemaSync(PACKAGE_SRC, BACKENDS)
      .filter(({ current, synced }) => current !== synced)
      .map(({ file }) => `${relative(PACKAGE_SRC, file)} differs from the backends in src/backends; run \`${SYNC_COMMAND}\``);
    expect(stale).toEqual([]);
  });

  it('lists every backend in the executors’ enums, the default first', () => {
    for (const { file, current } of schemaSync(PACKAGE_SRC, BACKENDS)) {
      const backend = (JSON.parse(current) as { properties: { backend: { enum?: string[]; description: string } } }).properties.backend;
      if (file.includes('/executors/')) expect([file, backend.enum]).toEqual([file, BACKEND_IDS]);
      for (const b of BACKENDS) expect(backend.description).toContain(`${b.id}: ${b.description}`);
    }
  });

  it('leaves the rest of the file as it is, and refuses a schema whose backend property it cannot find', () => {
    const text = '{\n  "properties": {\n    "a": { "description": "x \\" }" },\n    "backend": { "type": "string", "enum": [], "description": "" }\n  }\n}\n';
    const synced = syncedSchema(text, BACKEND_PROPERTIES[0], BACKENDS.slice(0, 1));
    expect(synced).toBe(
      '{\n  "properties": {\n    "a": { "description": "x \\" }" },\n    "backend": { "type": "string", "enum": ["nix"], "description": ' +
        `${JSON.stringify(`Tool that builds the image. nix: ${BACKENDS[0].description}.`)} }\n  }\n}\n`,
    );
    expect(() => syncedSchema('{ "properties": {} }', BACKEND_PROPERTIES[0], BACKENDS)).toThrow(/expected one "backend" property, found 0/);
  });
});
