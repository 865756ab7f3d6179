// Which mapping set an editor backmap uses when `backmapStudio.mapping.set` is `auto`: a mapping folder of the
// workspace (`mappings/<set>/`, `mappings/` itself, or the folder of an open mapping document) that loads cleanly and
// knows at least as much of the input as the best bundled set; otherwise the bundled choice. The reason goes to the
// log. Runs in the worker (validating a folder takes seconds; the editor must not wait on it): the extension sends
// the workspace folders and open mapping documents as `BackmapSettings.workspaceMappings`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listBundledMappingSets, loadMappingSet, resolveMappingFolder, validateMappingFolder } from '../mapping/load';
import type { MappingSet } from '../mapping/types';
import { cachedSet, mappingCoverage } from './plan';
import type { Structure } from '../structure/types';

export interface MappingChoice {
  /** Set id or folder for the pipeline; undefined = let the pipeline pick among the bundled sets. */
  mapping?: string;
  /** One line for the log: which set and why. */
  reason: string;
}

export interface WorkspaceMappingContext {
  workspaceFolders: string[];
  /** Folders of open mapping documents (a set being authored outside `mappings/`). */
  openMappingFolders?: string[];
  residueNameMap?: Record<string, string>;
}

const isYaml = (f: string) => /\.ya?ml$/i.test(f) && !path.basename(f).startsWith('bead_types');
const hasMappingFiles = (dir: string) => {
  try {
    return fs.readdirSync(dir).some((f) => isYaml(f) && /^molecule\s*:/m.test(fs.readFileSync(path.join(dir, f), 'utf8')));
  } catch {
    return false;
  }
};
const isDir = (p: string) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } };

/** Candidate mapping folders of the workspace, bundled sets excluded, in a stable order. */
export function workspaceMappingFolders(ctx: WorkspaceMappingContext): string[] {
  const out: string[] = [];
  const add = (dir: string) => {
    const d = path.resolve(dir);
    if (out.includes(d) || !hasMappingFiles(d)) return;
    try { if (resolveMappingFolder(d).bundled) return; } catch { return; }
    out.push(d);
  };
  for (const w of ctx.workspaceFolders) {
    const m = path.join(w, 'mappings');
    if (!isDir(m)) continue;
    add(m);
    for (const s of fs.readdirSync(m).sort()) if (isDir(path.join(m, s))) add(path.join(m, s));
  }
  for (const d of ctx.openMappingFolders ?? []) add(d);
  return out;
}

/** Validation per folder, reused while no file of it changed (name, size, mtime). */
const validated = new Map<string, { signature: string; errors: number; warnings: number; set: MappingSet | null; problem?: string }>();

function folderState(dir: string) {
  const signature = fs.readdirSync(dir).sort().map((f) => { const st = fs.statSync(path.join(dir, f)); return `${f}:${st.size}:${st.mtimeMs}`; }).join('|');
  const hit = validated.get(dir);
  if (hit && hit.signature === signature) return hit;
  let state: { signature: string; errors: number; warnings: number; set: MappingSet | null; problem?: string };
  try {
    const report = validateMappingFolder(dir);
    const all = [...report.folderDiagnostics, ...report.files.flatMap((f) => f.diagnostics)];
    const errors = all.filter((d) => d.severity === 'error').length;
    const warnings = all.filter((d) => d.severity === 'warning').length;
    state = { signature, errors, warnings, set: errors || warnings ? null : loadMappingSet(dir) };
  } catch (e) {
    state = { signature, errors: 1, warnings: 0, set: null, problem: e instanceof Error ? e.message : String(e) };
  }
  validated.set(dir, state);
  return state;
}

/** Newest mtime of the folder's files: among equally good folders, the one worked on last wins. */
function newestChange(dir: string): number {
  let t = 0;
  for (const f of fs.readdirSync(dir)) { try { t = Math.max(t, fs.statSync(path.join(dir, f)).mtimeMs); } catch { /* vanished */ } }
  return t;
}

const pct = (x: number) => `${(x * 100).toFixed(x === 1 || x === 0 ? 0 : 1)} %`;

/**
 * The mapping for backmapping `input` (a CG structure file) when the user's setting is `auto`. A workspace folder
 * wins when it loads without errors or warnings (the pipeline refuses a folder of the user's with warnings) and its
 * coverage of the input's particles is at least the best bundled set's; among several, the highest coverage, then
 * the one with the most recently changed file (the set being worked on). A folder identical to a bundled set (same content hash) is used under the bundled id, so the
 * model trained on that set applies.
 */
export function chooseWorkspaceMapping(cg: Structure, ctx: WorkspaceMappingContext): MappingChoice {
  const folders = workspaceMappingFolders(ctx);
  if (!folders.length) return { reason: 'no mapping folder in the workspace; the bundled set that knows the input is used' };
  let bundled = { id: '', coverage: 0, hash: new Map<string, string>() };
  for (const id of listBundledMappingSets()) {
    try {
      const set = cachedSet(id);
      bundled.hash.set(set.hash, id);
      const coverage = mappingCoverage(cg, set, ctx.residueNameMap);
      if (coverage > bundled.coverage) bundled = { ...bundled, id, coverage };
    } catch { /* a broken bundled set is reported by the pipeline */ }
  }
  const rel = (d: string) => { for (const w of ctx.workspaceFolders) { const r = path.relative(w, d); if (!r.startsWith('..') && !path.isAbsolute(r)) return r || '.'; } return d; };
  const skipped: string[] = [];
  let best: { dir: string; set: MappingSet; coverage: number; changed: number } | undefined;
  let ties: string[] = [];
  for (const dir of folders) {
    const st = folderState(dir);
    if (!st.set) {
      skipped.push(`${rel(dir)} (${st.problem ?? (st.errors ? `${st.errors} error(s)` : `${st.warnings} warning(s); a folder with warnings is refused`)})`);
      continue;
    }
    const coverage = mappingCoverage(cg, st.set, ctx.residueNameMap);
    if (coverage === 0 || coverage + 1e-9 < bundled.coverage) {
      skipped.push(`${rel(dir)} (knows ${pct(coverage)} of the input, bundled ${bundled.id || 'sets'} ${pct(bundled.coverage)})`);
      continue;
    }
    const changed = newestChange(dir);
    if (best && Math.abs(coverage - best.coverage) <= 1e-9) ties.push(rel(dir));
    if (!best || coverage > best.coverage + 1e-9 || (Math.abs(coverage - best.coverage) <= 1e-9 && changed > best.changed)) {
      if (best && Math.abs(coverage - best.coverage) <= 1e-9) ties.push(rel(best.dir));
      best = { dir, set: st.set, coverage, changed };
    }
  }
  if (best) ties = ties.filter((t) => t !== rel(best!.dir));
  const also = `${ties.length ? `; as good but older: ${[...new Set(ties)].join(', ')}` : ''}${skipped.length ? `; not used: ${skipped.join(', ')}` : ''}`;
  if (!best) return { reason: `bundled set chosen by the backmap${also}` };
  const same = bundled.hash.get(best.set.hash);
  if (same) return { mapping: same, reason: `workspace folder ${rel(best.dir)} is identical to the bundled set ${same}, used under that id so its model applies${also}` };
  return {
    mapping: best.dir,
    reason: `workspace folder ${rel(best.dir)} knows ${pct(best.coverage)} of the input's particles (bundled ${bundled.id || 'sets'}: ${pct(bundled.coverage)}); set backmapStudio.mapping.set to choose another${also}`,
  };
}

/**
 * The settings of one editor run with the workspace's mapping folder chosen (when `workspaceMappings` is given and no
 * mapping is named); the choice and its reason go to `log`.
 */
export function withWorkspaceMapping<T extends { mapping?: string; workspaceMappings?: WorkspaceMappingContext }>(settings: T, input: () => Structure, log?: (line: string) => void): T {
  const ctx = settings.workspaceMappings;
  if (!ctx || settings.mapping) return settings;
  let cg: Structure;
  try {
    cg = input();
  } catch {
    return settings; // the run reads the input again and reports what is wrong with it
  }
  const choice = chooseWorkspaceMapping(cg, ctx);
  log?.(`Mapping set: ${choice.mapping ?? 'auto'} (${choice.reason})`);
  return { ...settings, mapping: choice.mapping };
}
