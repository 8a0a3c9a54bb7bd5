/**
 * Adding a configuration to a flake's `nixosConfigurations`, as text: the
 * new entry is a copy of the one that imports `./configuration.nix` (same
 * nixosSystem call, specialArgs and other modules) with that import
 * replaced by the new configuration's own module; the rest of the file
 * stays as the user wrote it.
 */
import { nixAttrName } from '../language/escape';
import { configurationEntries } from '../language/image-detect';
import { codeOnly, indentOf } from '../language/edit-imports';

export type AddConfigurationResult = { status: 'added'; source: string } | { status: 'error'; message: string };

/** `./configuration.nix` as a path literal of the code (not in a comment or string). */
const CONFIGURATION_IMPORT = /(?<![A-Za-z0-9._+/-])\.\/configuration\.nix(?![A-Za-z0-9._+/-])/g;

/**
 * `source` (a flake.nix) with `nixosConfigurations.<name>` added, importing
 * `./<moduleFile>` instead of `./configuration.nix`; an error when the
 * flake has that configuration already, or no configuration importing
 * `./configuration.nix` to model it on.
 */
export function addFlakeConfiguration(source: string, name: string, moduleFile: string): AddConfigurationResult {
  const code = codeOnly(source);
  const entries = configurationEntries(code, source);
  if (entries.some((e) => e.name === name)) {
    return { status: 'error', message: `already has nixosConfigurations.${name}` };
  }
  const model = entries.find((e) => new RegExp(CONFIGURATION_IMPORT.source).test(code.slice(e.start, e.end)));
  if (!model) {
    return {
      status: 'error',
      message:
        'has no nixosConfigurations entry that imports ./configuration.nix to model the new one on; ' +
        `add nixosConfigurations.${name} to it by hand, with ./${moduleFile} in its modules`,
    };
  }
  // The model's value with its ./configuration.nix (as code, not in a comment) replaced.
  const valueCode = code.slice(model.start, model.end);
  let value = '';
  let last = 0;
  for (const m of valueCode.matchAll(CONFIGURATION_IMPORT)) {
    value += source.slice(model.start + last, model.start + m.index) + `./${moduleFile}`;
    last = m.index + m[0].length;
  }
  value += source.slice(model.start + last, model.end);
  // After the last entry written the same way, at its indentation.
  const same = entries.filter((e) => e.form === model.form);
  const after = same[same.length - 1];
  const indent = indentOf(source, model.start);
  const attr = nixAttrName(name);
  const entry = model.form === 'dotted' ? `\n\n${indent}nixosConfigurations.${attr} =${value};` : `\n${indent}${attr} =${value};`;
  const at = after.end + 1;
  return { status: 'added', source: source.slice(0, at) + entry + source.slice(at) };
}
