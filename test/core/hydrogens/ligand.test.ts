/**
 * Hydrogens of user-trained molecules from the card's templates: templates measured on training frames
 * (src/core/training/hydrogen-templates.ts, through the frame dataset of `backmap train`), placed on the heavy atoms
 * of held-out frames (src/core/ligand-hydrogens.ts). The project-made LGH (test/fixtures/ligand-h) always; NECA's MD
 * (../shared) when present: templates from frames 0:800, placed on the true heavy atoms of frames 800:1000.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildFrameDataset, planTrainingMapping } from '../../../src/core/training';
import { HydrogenTemplateCollector, modeCircularMean, templateTargets } from '../../../src/core/training/hydrogen-templates';
import { placeTemplateHydrogens, templateHydrogenSummary } from '../../../src/core/ligand-hydrogens';
import { cardHydrogensProblem, type HydrogenTemplate } from '../../../src/core/model/contract';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { readStructureFile } from '../../../src/core/structure/read';
import { StructureBuilder } from '../../../src/core/structure/builder';
import { guessElement } from '../../../src/core/structure/elements';
import { parseFrameRange } from '../../../src/core/trajectory/frames';
import { wholeFrames } from '../../../src/core/pipeline/pbc';
import type { Structure } from '../../../src/core/structure/types';
import type { InputWarning } from '../../../src/core/errors';
import { LGH_ATOMS, LGH_ROTOR_H } from '../../fixtures/ligand-h/make-fixture';
import { SHARED_DATA } from '../../helpers/reference-data';

const ROOT = join(__dirname, '..', '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'ligand-h');
const top = readStructureFile(join(FIX, 'frames.pdb'));
const set = loadMappingSet(join(FIX, 'lgh'));

const isH = (s: Structure, i: number) => ['H', 'D'].includes((s.atoms.element[i] || guessElement(s.atoms.name[i], s.atoms.resName[i])).toUpperCase());

/** The heavy atoms of a frame of `s` (the model's prediction at its best: the true heavy atoms), in file order. */
function heavyFrame(s: Structure, coords: ArrayLike<number>): Structure {
  const b = new StructureBuilder(s.atoms.count);
  for (let i = 0; i < s.atoms.count; i++)
    if (!isH(s, i))
      b.addAtom({ name: s.atoms.name[i], resName: s.atoms.resName[i], chainId: s.atoms.chainId[i], resSeq: s.atoms.resSeq[i], element: s.atoms.element[i], x: coords[3 * i], y: coords[3 * i + 1], z: coords[3 * i + 2] });
  return b.build('heavy atoms');
}

/** Per hydrogen name: distance (Å) of the placed hydrogen from the frame's own (by residue number and name). */
function hydrogenErrors(placed: Structure, truth: Structure, coords: ArrayLike<number>): Map<string, number> {
  const at = new Map<string, number>();
  for (let i = 0; i < truth.atoms.count; i++) if (isH(truth, i)) at.set(`${truth.atoms.resSeq[i]}:${truth.atoms.name[i]}`, i);
  const out = new Map<string, number>();
  for (let i = 0; i < placed.atoms.count; i++) {
    if (!isH(placed, i)) continue;
    const j = at.get(`${placed.atoms.resSeq[i]}:${placed.atoms.name[i]}`);
    assert.ok(j !== undefined, `placed hydrogen ${placed.atoms.name[i]} is not in the truth`);
    out.set(placed.atoms.name[i], Math.hypot(placed.coords[3 * i] - coords[3 * j], placed.coords[3 * i + 1] - coords[3 * j + 1], placed.coords[3 * i + 2] - coords[3 * j + 2]));
  }
  return out;
}

const rms = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

// Templates from the first 50 of LGH's 60 frames, as `backmap train --frames 0:50` makes them.
const warnings: InputWarning[] = [];
const ds = buildFrameDataset({ topology: top, range: parseFrameRange('0:50'), set, warn: (w) => warnings.push(w) });
const lgh = ds.hydrogens.LGH;

test('LGH: one template per hydrogen, in the topology order, from rebuilt heavy atoms; rotors exactly 120° apart', () => {
  assert.deepEqual(warnings.map((w) => w.message), []);
  assert.deepEqual(Object.keys(ds.hydrogens), ['LGH']);
  assert.deepEqual(lgh.map((t) => t.name), LGH_ATOMS.filter((n) => n.startsWith('H')));
  const parents = Object.fromEntries(lgh.map((t) => [t.name, t.parent]));
  assert.deepEqual(parents, { H11: 'C1', H12: 'C1', H13: 'C1', H21: 'C2', H22: 'C2', H3: 'C3', HO4: 'O4', HN5: 'N5', H81: 'C8', H82: 'C8', HN1: 'N9', HN2: 'N9', HN3: 'N9' });
  const heavy = new Set(set.molecules.get('LGH')!.atoms.filter((a) => !a.names[0].startsWith('H')).map((a) => a.names[0]));
  for (const t of lgh) {
    assert.equal(t.element, 'H');
    for (const r of [t.parent, t.ref1, t.ref2]) assert.ok(heavy.has(r), `${t.name}: ${r} is a heavy atom of the mapping`);
    assert.ok(new Set([t.parent, t.ref1, t.ref2]).size === 3, `${t.name}: three distinct atoms`);
  }
  // Frames: a CH2 takes its parent's two heavy neighbours; a methyl its neighbour and that neighbour's next one.
  const by = (n: string) => lgh.find((t) => t.name === n)!;
  assert.deepEqual([by('H21').ref1, by('H21').ref2], ['C1', 'C3']);
  assert.deepEqual([by('H11').ref1, by('H11').ref2], ['C2', 'C3']);
  assert.deepEqual([by('HN1').ref1, by('HN1').ref2], ['C8', 'C6']);
  const gap = (a: string, b: string) => (((by(b).dihedral - by(a).dihedral) % 360) + 360) % 360;
  for (const [a, b, c] of [['H11', 'H12', 'H13'], ['HN1', 'HN2', 'HN3']]) {
    assert.equal(Math.abs(gap(a, b) - 120) < 1e-9 || Math.abs(gap(a, b) - 240) < 1e-9, true, `${a}→${b} ${gap(a, b)}`);
    assert.ok(Math.abs(gap(a, c) - (360 - gap(a, b))) < 1e-9, `${a}→${c} ${gap(a, c)}`);
    // A staggered well of the generator (methyl phase 60 + 120k, ± noise).
    const staggered = Math.abs(((by(a).dihedral - 60) % 120 + 120 + 60) % 120 - 60);
    assert.ok(staggered < 8, `${a} dihedral ${by(a).dihedral} is ${staggered.toFixed(1)}° from a staggered well`);
  }
  // The generator's CH2 geometry: 1.09 Å, 109.5°, ±121°.
  assert.ok(Math.abs(by('H21').bond - 1.09) < 0.005 && Math.abs(by('H21').angle - 109.5) < 1 && Math.abs(by('H21').dihedral - 121) < 3, JSON.stringify(by('H21')));
  assert.equal(cardHydrogensProblem({ hydrogens: ds.hydrogens }), null);
});

test('LGH: placed on the heavy atoms of held-out frames: non-rotor RMSD, exact bonds, counts, order, determinism', () => {
  const nonRotor: number[] = [];
  const rotorSymmetric: number[] = [];
  const order = LGH_ATOMS;
  for (let f = 50; f < 60; f++) {
    const heavy = heavyFrame(top, top.models[f]);
    const { structure, report } = placeTemplateHydrogens(heavy, ds.hydrogens);
    assert.deepEqual({ added: report.added, residues: report.residues, missing: report.missing, kept: report.kept }, { added: 13, residues: 1, missing: 0, kept: 0 });
    assert.deepEqual(structure.atoms.name, order, 'each hydrogen right after its parent, in the template order');
    assert.ok(structure.atoms.element.every((e, i) => (structure.atoms.name[i].startsWith('H') ? e === 'H' : e !== 'H')));
    assert.deepEqual(Array.from(structure.atoms.serial), order.map((_, i) => i + 1));
    const again = placeTemplateHydrogens(heavy, ds.hydrogens).structure;
    assert.deepEqual(Array.from(again.coords), Array.from(structure.coords), 'deterministic');
    // Bonds as the template says.
    const idx = (n: string) => structure.atoms.name.indexOf(n);
    for (const t of lgh) {
      const d = Math.hypot(...[0, 1, 2].map((k) => structure.coords[3 * idx(t.name) + k] - structure.coords[3 * idx(t.parent) + k]));
      assert.ok(Math.abs(d - t.bond) < 0.02, `${t.name}–${t.parent} ${d} vs ${t.bond}`);
    }
    const err = hydrogenErrors(structure, top, top.models[f]);
    for (const [name, e] of err) if (!LGH_ROTOR_H.has(name)) nonRotor.push(e);
    // Methyl and ammonium hydrogens are interchangeable: the best of the 3 cyclic relabellings.
    for (const group of [['H11', 'H12', 'H13'], ['HN1', 'HN2', 'HN3']]) {
      const truthIdx = group.map((n) => top.atoms.name.indexOf(n));
      const placedIdx = group.map(idx);
      let best = Infinity;
      for (let s = 0; s < 3; s++) {
        const d = placedIdx.map((p, k) => Math.hypot(...[0, 1, 2].map((a) => structure.coords[3 * p + a] - top.models[f][3 * truthIdx[(k + s) % 3] + a])));
        best = Math.min(best, rms(d));
      }
      rotorSymmetric.push(best);
    }
  }
  const rmsdNonRotor = rms(nonRotor);
  console.log(`LGH held-out frames 50-59: non-rotor H RMSD ${rmsdNonRotor.toFixed(3)} Å (max ${Math.max(...nonRotor).toFixed(3)}); CH3/NH3+ RMSD (relabelled) median ${median(rotorSymmetric).toFixed(3)} Å`);
  assert.ok(rmsdNonRotor <= 0.15, `non-rotor hydrogen RMSD ${rmsdNonRotor}`);
  assert.ok(Math.max(...nonRotor) <= 0.3, `worst non-rotor hydrogen ${Math.max(...nonRotor)}`);
});

test('a missing or non-finite parent or reference is counted, not a crash; a residue with hydrogens is kept; other residues pass through', () => {
  const heavy = heavyFrame(top, top.models[55]);
  // Without N9: its 3 hydrogens (parent) and C8's two (N9 is their ref2) are not placed.
  const keep = heavy.atoms.name.map((n, i) => (n === 'N9' ? -1 : i)).filter((i) => i >= 0);
  const b = new StructureBuilder(keep.length);
  for (const i of keep) b.addAtom({ name: heavy.atoms.name[i], resName: 'LGH', resSeq: 1, chainId: 'L', x: heavy.coords[3 * i], y: heavy.coords[3 * i + 1], z: heavy.coords[3 * i + 2] });
  const noN9 = placeTemplateHydrogens(b.build('no N9'), ds.hydrogens);
  assert.equal(noN9.report.added, 8);
  assert.equal(noN9.report.missing, 5);
  assert.match(noN9.report.missingExamples.join('; '), /LGH L1 H81: N9 missing or not finite/);
  assert.match(templateHydrogenSummary(noN9.report), /8 on 1 residue\(s\); 5 not placed \(LGH L1 H81: N9 missing/);
  // A NaN heavy atom: the same.
  const nan = heavyFrame(top, top.models[55]);
  const c1 = nan.atoms.name.indexOf('C1');
  nan.coords[3 * c1] = NaN;
  const r = placeTemplateHydrogens(nan, ds.hydrogens).report;
  assert.equal(r.missing, 5); // H11-13 (parent), H21/H22 (ref1)
  assert.equal(r.added, 8);
  // A template entry that gives no position (hand-edited card): counted.
  const broken: Record<string, HydrogenTemplate[]> = { LGH: lgh.map((t, k) => (k === 0 ? { ...t, dihedral: NaN } : t)) };
  assert.equal(placeTemplateHydrogens(heavyFrame(top, top.models[55]), broken).report.missing, 1);
  assert.match(cardHydrogensProblem({ hydrogens: broken }) ?? '', /"hydrogens.LGH\[0\]" lacks "dihedral"/);
  // The full frame already has its hydrogens: kept, unchanged. A structure without templated residues: the same object.
  const full = { ...top, coords: top.models[55], models: [top.models[55]] };
  const kept = placeTemplateHydrogens(full, ds.hydrogens);
  assert.deepEqual({ kept: kept.report.kept, added: kept.report.added }, { kept: 1, added: 0 });
  assert.deepEqual(Array.from(kept.structure.coords), Array.from(top.models[55]));
  assert.equal(placeTemplateHydrogens(full, { OTHER: lgh }).structure, full);
  assert.equal(placeTemplateHydrogens(full, undefined).structure, full);
  // A renamed residue finds its template through the name map.
  const renamed = heavyFrame(top, top.models[55]);
  renamed.atoms.resName.fill('LIX');
  assert.equal(placeTemplateHydrogens(renamed, ds.hydrogens, { residueNameMap: { LIX: 'LGH' } }).report.added, 13);
});

test('templates do not depend on how frames arrive: the collector on the same frames gives the dataset\'s templates', () => {
  const fw = planTrainingMapping(top, set);
  const c = new HydrogenTemplateCollector(templateTargets(top, fw));
  for (const f of wholeFrames(top, undefined, parseFrameRange('0:50'))) c.add(f.coords);
  const res = c.finish();
  assert.deepEqual(res.templates, ds.hydrogens);
  assert.equal(res.frames, 50);
  // Fewer frames than the planning window (10) still plan.
  const few = new HydrogenTemplateCollector(templateTargets(top, fw));
  for (const f of wholeFrames(top, undefined, parseFrameRange('0:3'))) few.add(f.coords);
  assert.equal(few.finish().templates.LGH.length, 13);
  // The modal circular mean: the populated well, not the mean of three; wraps across 0/360.
  assert.ok(Math.abs(modeCircularMean([58, 60, 62, 61, 59, 180, 300]) - 60) < 1);
  assert.ok(Math.abs(((modeCircularMean([358, 2, 0, 1, 359]) + 180) % 360) - 180) < 1);
  assert.ok(Math.abs(modeCircularMean([10, 130, 250, 11, 129], 120) - 10) < 1);
});

test('residues of one molecule share its template; a residue whose rotor lacks a hydrogen is left out of it, said once', () => {
  // Three LGH copies 30 Å apart over 20 frames; the second and third have lost HN3 (an amine, not an ammonium).
  const b = new StructureBuilder(70);
  const keep: number[][] = [];
  for (let r = 0; r < 3; r++)
    for (let i = 0; i < top.atoms.count; i++) {
      if (r > 0 && top.atoms.name[i] === 'HN3') continue;
      keep.push([i, 30 * r]);
      b.addAtom({ name: top.atoms.name[i], resName: 'LGH', resSeq: r + 1, chainId: 'L', element: top.atoms.element[i], x: 0, y: 0, z: 0, sourceLine: 100 * (r + 1) + i });
    }
  const models = top.models.slice(0, 20).map((m) => Float64Array.from(keep.flatMap(([i, dx]) => [m[3 * i] + dx, m[3 * i + 1], m[3 * i + 2]])));
  const three: Structure = { ...b.build('three LGH'), models, coords: models[0] };
  const c = new HydrogenTemplateCollector(templateTargets(three, planTrainingMapping(three, set)));
  for (const m of models) c.add(m);
  const res = c.finish();
  assert.deepEqual(res.templates.LGH.map((t) => t.name), lgh.map((t) => t.name));
  assert.deepEqual(
    res.problems.map((p) => [p.message.replace(/ \(parent.*/, ''), three.atoms.sourceLine[p.atom]]),
    [
      ['LGH HN1: bonded otherwise, or with other hydrogens on its parent, than in the first residue that has it', 219],
      ['LGH HN2: bonded otherwise, or with other hydrogens on its parent, than in the first residue that has it', 220],
    ],
  );
  assert.match(res.problems[0].message, /in 2 residue\(s\); those are left out of the template$/);
});

const NECA = SHARED_DATA ? join(SHARED_DATA, 'raw', 'herobm', 'data', 'NECA', 'md') : '';
const necaSkip = NECA && existsSync(join(NECA, 'neca.xtc')) ? false : '../shared absent: the NECA check is skipped';

test('NECA: templates from frames 0:800 placed on the true heavy atoms of frames 800:1000', { skip: necaSkip }, () => {
  const necaTop = readStructureFile(join(NECA, 'neca.gro'));
  const necaSet = loadMappingSet(join(ROOT, 'examples', 'mappings', 'neca'));
  const fw = planTrainingMapping(necaTop, necaSet);
  const collector = new HydrogenTemplateCollector(templateTargets(necaTop, fw));
  for (const f of wholeFrames(necaTop, join(NECA, 'neca.xtc'), parseFrameRange('0:800'))) collector.add(f.coords);
  const res = collector.finish();
  assert.deepEqual(res.problems, []);
  const tpl = res.templates.NEC;
  assert.equal(tpl.length, 16);
  // Rotors (OH, CH3, NH2): the parent has one heavy neighbour, so ref2 is not bonded to it.
  const rotor = new Set(tpl.filter((t) => distanceOf(necaTop, t.ref2, t.parent) > 2).map((t) => t.name));
  const perFrame: number[] = [];
  const perFrameNonRotor: number[] = [];
  const perFrameRelabelled: number[] = [];
  let last: Structure | null = null;
  let frames = 0;
  for (const f of wholeFrames(necaTop, join(NECA, 'neca.xtc'), parseFrameRange('800:1000'))) {
    const { structure, report } = placeTemplateHydrogens(heavyFrame(necaTop, f.coords), res.templates);
    assert.equal(report.added, 16);
    const err = hydrogenErrors(structure, necaTop, f.coords);
    perFrame.push(rms([...err.values()]));
    perFrameNonRotor.push(rms([...err].filter(([n]) => !rotor.has(n)).map(([, e]) => e)));
    perFrameRelabelled.push(relabelledRmsd(structure, necaTop, f.coords, tpl.filter((t) => rotor.has(t.name))));
    last = structure;
    frames++;
  }
  assert.equal(frames, 200);
  // No two hydrogens of the molecule closer than 1.5 Å on the last held-out frame.
  let closest = Infinity;
  const hs = last!.atoms.name.map((_, i) => i).filter((i) => isH(last!, i));
  for (const i of hs) for (const j of hs) if (i < j) closest = Math.min(closest, Math.hypot(...[0, 1, 2].map((k) => last!.coords[3 * i + k] - last!.coords[3 * j + k])));
  console.log(
    `NECA frames 800:1000 (templates from 0:800): median hydrogen RMSD ${median(perFrame).toFixed(3)} Å (all 16), ` +
      `${median(perFrameNonRotor).toFixed(3)} Å (the ${16 - rotor.size} not on rotors), ${median(perFrameRelabelled).toFixed(3)} Å (all 16, each rotor's hydrogens relabelled at best; rotors: ${[...rotor].join(' ')}); closest H–H on frame 999 ${closest.toFixed(2)} Å`,
  );
  assert.ok(median(perFrameNonRotor) <= 0.15, `non-rotor median ${median(perFrameNonRotor)}`);
  assert.ok(closest >= 1.5, `closest H–H ${closest}`);
});

/** RMSD (Å) of a placed structure's hydrogens from the truth when the hydrogens of each rotor may swap names (best permutation). */
function relabelledRmsd(placed: Structure, truth: Structure, coords: ArrayLike<number>, rotorH: HydrogenTemplate[]): number {
  const groups = new Map<string, string[]>();
  for (const t of rotorH) groups.set(t.parent, [...(groups.get(t.parent) ?? []), t.name]);
  const d2 = (p: string, q: string) => {
    const [i, j] = [placed.atoms.name.indexOf(p), truth.atoms.name.indexOf(q)];
    return [0, 1, 2].reduce((s, k) => s + (placed.coords[3 * i + k] - coords[3 * j + k]) ** 2, 0);
  };
  const permutations = (a: string[]): string[][] => (a.length <= 1 ? [a] : a.flatMap((x, k) => permutations([...a.slice(0, k), ...a.slice(k + 1)]).map((p) => [x, ...p])));
  let sum = 0;
  let n = 0;
  const inGroup = new Set(rotorH.map((t) => t.name));
  for (let i = 0; i < placed.atoms.count; i++)
    if (isH(placed, i) && !inGroup.has(placed.atoms.name[i])) {
      sum += d2(placed.atoms.name[i], placed.atoms.name[i]);
      n++;
    }
  for (const names of groups.values()) {
    sum += Math.min(...permutations(names).map((p) => names.reduce((s, name, k) => s + d2(name, p[k]), 0)));
    n += names.length;
  }
  return Math.sqrt(sum / n);
}

/** Distance (Å) of two atoms of a structure's one residue, by name (coordinates of model 0). */
function distanceOf(s: Structure, a: string, b: string): number {
  const [i, j] = [s.atoms.name.indexOf(a), s.atoms.name.indexOf(b)];
  return Math.hypot(...[0, 1, 2].map((k) => s.coords[3 * i + k] - s.coords[3 * j + k]));
}
