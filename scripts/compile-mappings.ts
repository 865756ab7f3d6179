/**
 * Writes the compiled form of every bundled mapping set (`src/core/mapping/compiled.ts`) into the folder given
 * (esbuild.mjs: `dist/mapping-sets`). Sets with errors are skipped (they are refused at load anyway).
 * Usage: node <bundle of this file> <out-folder>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMappingSet } from '../src/core/mapping/compiled';
import { analyzeMappingFolder, folderFingerprint, listBundledMappingSets, resolveMappingFolder } from '../src/core/mapping/load';

const out = process.argv[2];
if (!out) throw new Error('usage: compile-mappings <out-folder>');
mkdirSync(out, { recursive: true });
const written: string[] = [];
for (const id of listBundledMappingSets()) {
  const { folder } = resolveMappingFolder(id);
  const set = analyzeMappingFolder(folder).set;
  if (!set) continue;
  writeFileSync(join(out, `${id}.json`), encodeMappingSet(set, folderFingerprint(folder)));
  written.push(id);
}
console.log(`compiled mapping sets: ${written.join(', ')} → ${out}`);
