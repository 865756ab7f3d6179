/**
 * Hydrogens on the residues of a user-trained model (ligands and any molecule `backmap train` learned), from the
 * hydrogen templates its card carries (`ModelCard.hydrogens`, measured on the training frames by
 * src/core/training/hydrogen-templates.ts): each hydrogen by NeRF from three heavy atoms the model predicted
 * (`placeAtom(ref2, ref1, parent, bond, angle, dihedral)`), named as in the training topology, element from the
 * template. Protein, lipid and sterol residues get theirs from `hydrogens.ts`; a residue that already holds a
 * hydrogen is left as it is, so this runs after `addHydrogens` without touching what that placed.
 *
 * Order: each hydrogen right after its parent heavy atom, the hydrogens of one parent in the template's order (the
 * training topology's). The heavy atoms keep the order they had (the mapping's). Model 0 only: one model out.
 */
import type { Structure } from './structure/types';
import type { HydrogenTemplate } from './model/contract';
import { StructureBuilder, residuesOf } from './structure/builder';
import { guessElement } from './structure/elements';
import { placeAtom } from './geometry/nerf';

export interface TemplateHydrogenReport {
  /** Hydrogens written. */
  added: number;
  /** Residues given hydrogens from a template. */
  residues: number;
  /** Residues with a template that already had hydrogens, left unchanged. */
  kept: number;
  /** Hydrogens not placed: a parent or reference atom missing or not finite, or a template entry that is not usable. */
  missing: number;
  /** The first few of those, e.g. `NEC 1 H7: N1 missing`. */
  missingExamples: string[];
}

export interface TemplateHydrogenOptions {
  /** Input residue name → template (molecule) name, as the backmap's `residueNameMap`. */
  residueNameMap?: Record<string, string>;
}

const MAX_EXAMPLES = 5;

/** Adds the templates' hydrogens to every residue whose name has a template (see the module comment). */
export function placeTemplateHydrogens(
  structure: Structure,
  templates: Record<string, HydrogenTemplate[]> | undefined,
  opts: TemplateHydrogenOptions = {},
): { structure: Structure; report: TemplateHydrogenReport } {
  const report: TemplateHydrogenReport = { added: 0, residues: 0, kept: 0, missing: 0, missingExamples: [] };
  const a = structure.atoms;
  const c = structure.coords;
  const templateOf = (resName: string) => {
    const key = opts.residueNameMap?.[resName] ?? resName;
    return templates && Object.prototype.hasOwnProperty.call(templates, key) ? templates[key] : undefined;
  };
  const residues = residuesOf(a);
  if (!residues.some((r) => templateOf(r.resName)?.length)) return { structure, report };
  const finite = (i: number) => Number.isFinite(c[3 * i]) && Number.isFinite(c[3 * i + 1]) && Number.isFinite(c[3 * i + 2]);
  const isH = (i: number) => {
    const e = (a.element[i] || guessElement(a.name[i], a.resName[i])).toUpperCase();
    return e === 'H' || e === 'D';
  };
  const xyz = (i: number) => [c[3 * i], c[3 * i + 1], c[3 * i + 2]];
  const miss = (what: string) => {
    report.missing++;
    if (report.missingExamples.length < MAX_EXAMPLES) report.missingExamples.push(what);
  };

  const out = new StructureBuilder(a.count + 16);
  const copy = (i: number) =>
    out.addAtom({
      name: a.name[i], resName: a.resName[i], chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i], element: a.element[i], altLoc: a.altLoc[i],
      x: c[3 * i], y: c[3 * i + 1], z: c[3 * i + 2], occupancy: a.occupancy[i], bFactor: a.bFactor[i], hetero: a.hetero[i] === 1, segId: a.segId[i], sourceLine: a.sourceLine[i],
    });
  for (const res of residues) {
    const tpl = templateOf(res.resName);
    let hasH = false;
    if (tpl?.length) for (let i = res.start; i < res.end && !hasH; i++) hasH = isH(i);
    if (!tpl?.length || hasH) {
      if (hasH) report.kept++;
      for (let i = res.start; i < res.end; i++) copy(i);
      continue;
    }
    // Heavy atoms by name (the first finite one of a name, as the rest of the engine reads a residue).
    const atom = new Map<string, number>();
    for (let i = res.start; i < res.end; i++) if (!atom.has(a.name[i]) && finite(i)) atom.set(a.name[i], i);
    const label = `${res.resName} ${res.chainId}${res.resSeq}${res.iCode}`;
    const after = new Map<number, { name: string; element: string; p: number[] }[]>();
    for (const t of tpl) {
      const idx = [t.parent, t.ref1, t.ref2].map((n) => atom.get(n) ?? -1);
      const absent = [t.parent, t.ref1, t.ref2].filter((_, k) => idx[k] < 0);
      if (absent.length) {
        miss(`${label} ${t.name}: ${[...new Set(absent)].join(', ')} missing or not finite`);
        continue;
      }
      const p = Number.isFinite(t.bond) && Number.isFinite(t.angle) && Number.isFinite(t.dihedral) ? placeAtom(xyz(idx[2]), xyz(idx[1]), xyz(idx[0]), t.bond, t.angle, t.dihedral) : [NaN];
      if (!p.every(Number.isFinite)) {
        miss(`${label} ${t.name}: its template does not give a position`);
        continue;
      }
      const list = after.get(idx[0]) ?? [];
      list.push({ name: t.name, element: t.element || 'H', p });
      after.set(idx[0], list);
    }
    report.residues++;
    for (let i = res.start; i < res.end; i++) {
      copy(i);
      for (const h of after.get(i) ?? []) {
        out.addAtom({
          name: h.name, resName: a.resName[i], chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i], element: h.element,
          x: h.p[0], y: h.p[1], z: h.p[2], hetero: a.hetero[i] === 1, segId: a.segId[i],
        });
        report.added++;
      }
    }
  }
  const built = out.build(structure.source, structure.title, structure.box);
  return { structure: built, report };
}

/** One line for the report's notes, e.g. "hydrogens from the model's templates: 16 on 1 residue(s)". */
export function templateHydrogenSummary(r: TemplateHydrogenReport): string {
  const parts = [`hydrogens from the model's templates: ${r.added} on ${r.residues} residue(s)`];
  if (r.kept) parts.push(`${r.kept} residue(s) that already had hydrogens kept as they were`);
  if (r.missing) parts.push(`${r.missing} not placed (${r.missingExamples.join('; ')}${r.missing > r.missingExamples.length ? '; …' : ''})`);
  return parts.join('; ');
}
