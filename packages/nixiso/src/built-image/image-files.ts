/** The image file inside a built output: what the build records and the diff measures. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Image files under an out path, largest first (an ISO output also holds
 * small metadata files); every file when the extension is unknown ('').
 */
export function findImageFiles(outPath: string, extension: string): string[] {
  const found: { path: string; size: number }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(extension)) found.push({ path, size: statSync(path).size });
    }
  };
  if (statSync(outPath).isDirectory()) walk(outPath);
  else found.push({ path: outPath, size: statSync(outPath).size });
  return found.sort((a, b) => b.size - a.size).map((f) => f.path);
}
