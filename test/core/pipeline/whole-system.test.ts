// Whole systems (issue 31): molecules and classes, water and ions mapped and placed back, molecules broken
// across the periodic box, the per-molecule unit check, Go-Martini virtual sites and unknown molecules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { StructureBuilder } from '../../../src/core/structure/builder';
import { formatGro, parseGro } from '../../../src/core/structure/gro';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { readStructureFile } from '../../../src/core/structure/read';
import { detectUnitProblem } from '../../../src/core/io/units';
import type { Structure } from '../../../src/core/structure/types';
import { moleculeKind } from '../../../src/core/chemistry/molecules';
import { allAtomIon, cgIon, cgWater } from '../../../src/core/chemistry/solvent';
import { backmapStructure, mapStructureToCg, planBackmap, renderReport } from '../../../src/core/pipeline';
import { groupWaters, placeWaters, SOLUTE_MIN } from '../../../src/core/pipeline/solvent';
import { makeWhole } from '../../../src/core/pipeline/pbc';
import { splitCg } from '../../../src/core/pipeline/molecules';
import { hy36encode } from '../../../src/core/io/hybrid36';

const L = 60; // box edge, Å
const BOX = { a: L, b: L, c: L, alpha: 90, beta: 90, gamma: 90 };

/** A peptide, `nWater` TIP3 waters on a grid clear of it, 3 SOD and 2 CLA, an unknown ligand, in a 60 Å box. */
function system(nWater: number, shift: [number, number, number] = [20, 20, 20]): Structure {
  const pep = buildPeptide('MKTAYIAKQRQISFVKSHFSRQ', { phi: -65, psi: -40, chainId: 'A' });
  const sb = new StructureBuilder(4096);
  const heavy: number[] = [];
  for (let i = 0; i < pep.atoms.count; i++) {
    const x = pep.coords[3 * i] + shift[0], y = pep.coords[3 * i + 1] + shift[1], z = pep.coords[3 * i + 2] + shift[2];
    sb.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], chainId: 'A', resSeq: pep.atoms.resSeq[i], element: pep.atoms.element[i], x, y, z });
    heavy.push(x, y, z);
  }
  const clear = (x: number, y: number, z: number) => {
    for (let k = 0; k < heavy.length; k += 3) if ((heavy[k] - x) ** 2 + (heavy[k + 1] - y) ** 2 + (heavy[k + 2] - z) ** 2 < 9) return false;
    return true;
  };
  let placed = 0;
  let seq = 1;
  // Waters on a 3.1 Å grid (liquid density), skipping the peptide.
  for (let gx = 1; gx < L / 3.1 && placed < nWater; gx++)
    for (let gy = 1; gy < L / 3.1 && placed < nWater; gy++)
      for (let gz = 1; gz < L / 3.1 && placed < nWater; gz++) {
        const x = gx * 3.1, y = gy * 3.1, z = gz * 3.1;
        if (!clear(x, y, z)) continue;
        sb.addAtom({ name: 'OH2', resName: 'TIP3', chainId: 'W', resSeq: seq, element: 'O', x, y, z });
        sb.addAtom({ name: 'H1', resName: 'TIP3', chainId: 'W', resSeq: seq, element: 'H', x: x + 0.96, y, z });
        sb.addAtom({ name: 'H2', resName: 'TIP3', chainId: 'W', resSeq: seq, element: 'H', x: x - 0.24, y: y + 0.93, z });
        seq++;
        placed++;
      }
  const ion = (name: string, resSeq: number, x: number, y: number, z: number) =>
    sb.addAtom({ name, resName: name, chainId: 'I', resSeq, element: name === 'SOD' ? 'NA' : 'CL', x, y, z });
  ion('SOD', 1, 5, 50, 5);
  ion('SOD', 2, 50, 5, 50);
  ion('SOD', 3, 55, 55, 5);
  ion('CLA', 4, 5, 5, 55);
  ion('CLA', 5, 30, 55, 55);
  // An unknown ligand (2 atoms).
  sb.addAtom({ name: 'C1', resName: 'LIG', chainId: 'L', resSeq: 1, element: 'C', x: 45, y: 45, z: 45 });
  sb.addAtom({ name: 'C2', resName: 'LIG', chainId: 'L', resSeq: 1, element: 'C', x: 46.5, y: 45, z: 45 });
  return sb.build('system.pdb', 'whole system', BOX);
}

const count = (s: Structure, resName: string) => new Set(s.atoms.resName.map((r, i) => (r === resName ? `${s.atoms.chainId[i]}${s.atoms.resSeq[i]}` : '')).filter(Boolean)).size;

test('chemistry: water and ions are classes of the one classifier, with Martini and CHARMM names', () => {
  assert.equal(moleculeKind('TIP3'), 'water');
  assert.equal(moleculeKind('W'), 'water');
  assert.equal(moleculeKind('SOD'), 'ion');
  assert.equal(moleculeKind('NA'), 'ion');
  assert.equal(moleculeKind('ALA'), 'amino-acid');
  assert.equal(allAtomIon('CLA')?.cg, 'CL');
  assert.equal(allAtomIon('K+')?.charmm, 'POT');
  assert.equal(cgIon('ION', 'CA')?.charmm, 'CAL');
  assert.equal(cgIon('NA', 'NA')?.charmm, 'SOD');
  assert.equal(cgIon('ALA', 'CA'), undefined);
  assert.equal(cgWater('W', 'W')?.waters, 4);
  assert.equal(cgWater('TW', 'TW')?.waters, 2);
});

test('map: water grouped 4 per W bead (SW/TW for the rest), ions one bead each, every molecule counted', () => {
  for (const n of [40, 41, 42, 43]) {
    const aa = system(n);
    const r = mapStructureToCg(aa, 'martini3');
    const w = r.cg.atoms.resName.filter((x) => x === 'W').length;
    const sw = r.cg.atoms.resName.filter((x) => x === 'SW').length;
    const tw = r.cg.atoms.resName.filter((x) => x === 'TW').length;
    assert.equal(4 * w + 3 * sw + 2 * tw, n, `${n} waters: W ${w} SW ${sw} TW ${tw}`);
    assert.deepEqual(r.cg.atoms.resName.filter((x) => x === 'NA' || x === 'CL'), ['NA', 'NA', 'NA', 'CL', 'CL']);
    const byKind = Object.fromEntries(r.molecules.map((m) => [m.kind, [m.in, m.out]]));
    assert.deepEqual(byKind.water, [n, n]);
    assert.deepEqual(byKind.ion, [5, 5]);
    assert.deepEqual(byKind.protein, [1, 1]);
    assert.deepEqual(byKind.unknown, [1, 0]);
    assert.ok(r.problems.some((p) => /LIG/.test(p) && /system\.pdb/.test(p)), r.problems.join('\n'));
    // Input order: protein beads, then water, then ions (as in the input).
    const firstW = r.cg.atoms.resName.indexOf('W');
    const firstNa = r.cg.atoms.resName.indexOf('NA');
    assert.ok(r.cg.atoms.resName.slice(0, firstW).every((x) => x !== 'NA'), 'protein first');
    assert.ok(firstW < firstNa);
    // Every water bead near its waters: within 4 Å of some input oxygen.
    for (let i = 0; i < r.cg.atoms.count; i++) if (r.cg.atoms.resName[i] === 'W') assert.ok(r.cg.coords[3 * i] > 0 && r.cg.coords[3 * i] < L);
  }
});

test('round trip: protein, water and ions come back, counted, waters clear of the solute and of each other', async () => {
  const aa = system(400);
  const cg = parseGro(formatGro(mapStructureToCg(aa, 'martini3').cg), 'cg.gro');
  const out = await backmapStructure(cg, { model: 'template' });
  const s = out.structure;
  assert.equal(count(s, 'TIP3'), 400);
  assert.equal(count(s, 'SOD'), 3);
  assert.equal(count(s, 'CLA'), 2);
  assert.equal(s.atoms.resName.filter((x) => x === 'MET').length > 0, true);
  assert.ok(s.box && Math.abs(s.box.a - L) < 1e-6, 'box kept');
  const byKind = Object.fromEntries((out.report.molecules ?? []).map((m) => [m.kind, [m.in, m.out]]));
  assert.deepEqual(byKind.water, [400, 400]);
  assert.deepEqual(byKind.ion, [5, 5]);
  assert.deepEqual(byKind.protein, [1, 1]);
  // No water oxygen within 2.2 Å of a solute heavy atom; no two waters closer than 2.4 Å (heavy atoms: the
  // hydrogens added after placement are water.test.ts's).
  const isWater = (i: number) => s.atoms.resName[i] === 'TIP3';
  let minSolute = Infinity;
  let minWater = Infinity;
  for (let i = 0; i < s.atoms.count; i++) {
    if (!isWater(i) || s.atoms.element[i] === 'H') continue;
    for (let j = 0; j < s.atoms.count; j++) {
      if (i === j || s.atoms.element[j] === 'H') continue;
      const d = Math.hypot(s.coords[3 * i] - s.coords[3 * j], s.coords[3 * i + 1] - s.coords[3 * j + 1], s.coords[3 * i + 2] - s.coords[3 * j + 2]);
      if (isWater(j)) minWater = Math.min(minWater, d);
      else minSolute = Math.min(minSolute, d);
    }
  }
  assert.ok(minSolute >= SOLUTE_MIN, `water–solute ${minSolute.toFixed(2)} Å`);
  assert.ok(minWater >= 2.4, `water–water ${minWater.toFixed(2)} Å`);
  // Order kept: protein, waters, ions; water residue numbers unique.
  const first = (n: string) => s.atoms.resName.indexOf(n);
  assert.ok(first('MET') < first('TIP3') && first('TIP3') < first('SOD'));
  const md = renderReport(out);
  assert.match(md, /TIP3|water/i);
});

test('water placement: deterministic, and a crowded bead still keeps every water', () => {
  const beads = Float64Array.from([0, 0, 0, 4.7, 0, 0]);
  const solute = Float64Array.from([2.3, 0, 0, 2.3, 1.5, 0, 2.3, -1.5, 0]);
  const a = placeWaters(beads, [4, 4], solute);
  const b = placeWaters(beads, [4, 4], solute);
  assert.deepEqual(Array.from(a.oxygens), Array.from(b.oxygens));
  assert.equal(a.oxygens.length, 24);
  for (let i = 0; i < 8; i++)
    for (let j = 0; j < 3; j++) {
      const d = Math.hypot(a.oxygens[3 * i] - solute[3 * j], a.oxygens[3 * i + 1] - solute[3 * j + 1], a.oxygens[3 * i + 2] - solute[3 * j + 2]);
      assert.ok(d >= SOLUTE_MIN, `${d}`);
    }
  // Grouping keeps every water, in groups of 4, 3 and 2 only.
  for (const n of [5, 6, 7, 9, 13]) {
    const ox = Float64Array.from({ length: 3 * n }, (_, k) => (k % 3 === 0 ? 3 * Math.floor(k / 3) : 0));
    const g = groupWaters(ox, null);
    assert.equal(g.groups.reduce((m, x) => m + x.length, 0), n);
    assert.ok(g.groups.every((x) => x.length >= 2 && x.length <= 4));
    assert.equal(new Set(g.groups.flat()).size, n);
  }
  assert.deepEqual(groupWaters(Float64Array.from([0, 0, 0]), null).left, [0]);
});

test('PBC: a molecule larger than half its box is left whole, not folded onto its images', () => {
  // ARG and TRP atoms sit farther than 6 Å from their residue's N: half a 12 Å box. Drawn whole, nothing moves.
  const pep = buildPeptide('RWRWR', { phi: -120, psi: 130, chainId: 'A' });
  const boxed: Structure = { ...pep, coords: pep.coords.slice(), box: { a: 12, b: 12, c: 12, alpha: 90, beta: 90, gamma: 90 } };
  boxed.models = [boxed.coords];
  const coords = boxed.coords.slice();
  const w = makeWhole(boxed, coords);
  assert.ok(!w.moved.some((x) => x), 'nothing seen as broken');
  assert.deepEqual(Array.from(coords), Array.from(pep.coords));
  // The same peptide wrapped into that box atom by atom is made whole again (up to one box translation).
  const wrapped = coords.map((x) => ((x % 12) + 12) % 12);
  assert.ok(makeWhole(boxed, wrapped).moved.some((x) => x));
  const shift = [0, 1, 2].map((k) => wrapped[k] - pep.coords[k]);
  for (let i = 0; i < wrapped.length; i++) assert.ok(Math.abs(wrapped[i] - pep.coords[i] - shift[i % 3]) < 1e-6, `coordinate ${i}`);
});

test('PBC: molecules broken across the box are made whole before mapping and put back in the box after', async () => {
  // The peptide straddles the x = 0 face: atoms wrapped into the box one by one.
  const whole = system(60, [-5, 20, 20]);
  const broken: Structure = { ...whole, coords: whole.coords.slice() };
  for (let i = 0; i < broken.atoms.count; i++) broken.coords[3 * i] = ((broken.coords[3 * i] % L) + L) % L;
  broken.models = [broken.coords];
  const w = makeWhole(broken, broken.coords.slice());
  assert.ok(w.moved.some((x) => x), 'the peptide is seen as broken');
  const ref = mapToCg(whole, loadMappingSet('martini3'));
  const r = mapStructureToCg(broken, 'martini3');
  // Protein beads: the whole peptide's beads up to one box translation, centre inside the box.
  const n = ref.system.beads.length;
  const shift = r.cg.coords[0] - ref.cg.coords[0];
  assert.ok(Math.abs(shift / L - Math.round(shift / L)) < 1e-9);
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(r.cg.coords[3 * i] - ref.cg.coords[3 * i] - shift) < 1e-6, `bead ${i}`);
    assert.ok(Math.abs(r.cg.coords[3 * i + 1] - ref.cg.coords[3 * i + 1]) < 1e-6);
  }
  let cx = 0;
  for (let i = 0; i < n; i++) cx += r.cg.coords[3 * i] / n;
  assert.ok(cx >= 0 && cx < L, `centre ${cx}`);
  // Backmap of the CG frame with the peptide broken again: whole in the output, centre in the box.
  const cg = r.cg;
  const cgBroken: Structure = { ...cg, coords: cg.coords.slice() };
  for (let i = 0; i < cg.atoms.count; i++) cgBroken.coords[3 * i] = ((cg.coords[3 * i] % L) + L) % L;
  cgBroken.models = [cgBroken.coords];
  const out = await backmapStructure(cgBroken, { model: 'template' });
  const s = out.structure;
  const ca: number[] = [];
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.name[i] === 'CA' && s.atoms.chainId[i] === 'A') ca.push(i);
  for (let k = 1; k < ca.length; k++) {
    const d = Math.hypot(s.coords[3 * ca[k]] - s.coords[3 * ca[k - 1]], s.coords[3 * ca[k] + 1] - s.coords[3 * ca[k - 1] + 1], s.coords[3 * ca[k] + 2] - s.coords[3 * ca[k - 1] + 2]);
    assert.ok(d < 4.5, `CA–CA ${d.toFixed(2)} Å: the chain is whole`);
  }
  const mean = ca.reduce((m, i) => m + s.coords[3 * i], 0) / ca.length;
  assert.ok(mean >= -3 && mean < L + 3, `chain centre ${mean}`);
  assert.ok(out.report.notes.some((x) => /made whole/.test(x)), out.report.notes.join('\n'));
});

test('unit check per molecule: a CG membrane-like GRO (no chain ids, molecules far apart in file order) is accepted; 10x is still refused', () => {
  // Martini lipid-like 4-bead molecules and W beads scattered over a 150 Å box, consecutive in the file.
  const sb = new StructureBuilder(2048);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 150;
  for (let m = 1; m <= 100; m++) {
    const x = rnd(), y = rnd(), z = rnd();
    ['NC3', 'PO4', 'GL1', 'C1A'].forEach((b, k) => sb.addAtom({ name: b, resName: 'POPC', resSeq: m, x: x + 0.3 * k, y, z: z + 4.7 * k }));
  }
  for (let m = 101; m <= 600; m++) sb.addAtom({ name: 'W', resName: 'W', resSeq: m, x: rnd(), y: rnd(), z: rnd() });
  const s = sb.build('membrane.gro', '', { a: 150, b: 150, c: 150, alpha: 90, beta: 90, gamma: 90 });
  assert.equal(detectUnitProblem(s, 'cg'), null);
  const tenfold = { ...s, coords: s.coords.map((v) => v * 10) };
  assert.match(detectUnitProblem(tenfold, 'cg') ?? '', /10x too large/);
  const nm = { ...s, coords: s.coords.map((v) => v / 10) };
  assert.match(detectUnitProblem(nm, 'cg') ?? '', /nanometres/);
});

test('Go-Martini: virtual sites (CA after the protein, or inside a residue) are skipped with a note, no flag needed', async () => {
  const pep = buildPeptide('MKTAYIAKQR', { phi: -65, psi: -40, chainId: 'A' });
  const cg = mapToCg(pep, loadMappingSet('martini3')).cg;
  let text = formatPdb(cg).replace(/END\s*$/, '');
  const bb = cg.atoms.name.map((n, i) => (n === 'BB' ? i : -1)).filter((i) => i >= 0);
  text += bb
    .map((i, k) => `ATOM  ${String(900 + k).padStart(5)}  CA  ${cg.atoms.resName[i]} A${String(cg.atoms.resSeq[i]).padStart(4)}    ${[0, 1, 2].map((c) => cg.coords[3 * i + c].toFixed(3).padStart(8)).join('')}  1.00  0.00\n`)
    .join('');
  const go = parsePdb(text + 'END\n', 'go.pdb');
  const warnings: string[] = [];
  const out = await backmapStructure(go, { model: 'template', warn: (w) => warnings.push(`${w.file}:${w.line}: ${w.message}`) });
  assert.equal(out.report.unknown.length, 0);
  assert.ok(warnings.some((w) => /10 Go-Martini virtual site/.test(w)), warnings.join('\n'));
  const ref = await backmapStructure(parsePdb(formatPdb(cg), 'plain.pdb'), { model: 'template' });
  assert.deepEqual(Array.from(out.structure.coords), Array.from(ref.structure.coords), 'the virtual sites change nothing');
  assert.deepEqual(Object.fromEntries((out.report.molecules ?? []).map((m) => [m.kind, [m.in, m.out]]))['go-site'], [10, 0]);
  // A C-alpha trace (no BB beads) is not taken for Go sites.
  const trace = parsePdb(formatPdb(mapToCg(pep, loadMappingSet('ca')).cg), 'ca.pdb');
  assert.equal(splitCg(trace).goSites.length, 0);
  // Inline: the virtual site inside its residue (after SC beads).
  const lines = formatPdb(cg).split('\n');
  const k = lines.findIndex((l) => l.startsWith('ATOM') && l.slice(12, 16).trim() === 'BB' && l.slice(17, 20) === 'LYS');
  lines.splice(k + 1, 0, lines[k].replace(' BB ', ' CA '));
  const inline = await backmapStructure(parsePdb(lines.join('\n'), 'inline.pdb'), { model: 'template' });
  assert.equal(inline.report.unknown.length, 0);
});

const GO = join(process.cwd(), '..', 'shared', 'data', 'raw', 'paired_aa_cg', 'vermouth', 'integration_tests', 'tier-1');
test('Go-Martini: real martinize2 -go outputs (../shared) backmap without flags', { skip: !existsSync(GO) && 'no ../shared' }, async () => {
  for (const d of ['lysozyme_GO', 'lysozyme_GObias', 'lysozyme_GO_internal']) {
    const cg = readStructureFile(join(GO, d, 'martinize2', 'cg.pdb.gz'));
    const plan = planBackmap(cg, { model: 'template' });
    assert.equal(plan.solvent.goSites.length, 129, d);
    assert.equal(plan.unknown.length, 0, d);
    const out = await backmapStructure(cg, { model: 'template' });
    assert.equal(out.report.counts.residues, 129, d);
  }
});

test('unknown molecules: reported with file:line, kept out of the output, counted in → out', async () => {
  const aa = system(8);
  const cg = mapStructureToCg(aa, 'martini3').cg;
  const text = formatPdb(cg).replace(/END\s*$/, '') + 'HETATM 9001  C1  XYZ X 900      30.000  30.000  30.000  1.00  0.00           C\nEND\n';
  const withUnknown = parsePdb(text, 'unknown.pdb');
  const out = await backmapStructure(withUnknown, { model: 'template' });
  assert.equal(out.report.unknown.length, 1);
  assert.equal(out.report.unknown[0].file, 'unknown.pdb');
  assert.match(text.split('\n')[out.report.unknown[0].line - 1], /XYZ/);
  assert.ok(!out.structure.atoms.resName.includes('XYZ'));
  const byKind = Object.fromEntries((out.report.molecules ?? []).map((m) => [m.kind, [m.in, m.out]]));
  assert.deepEqual(byKind.unknown, [1, 0]);
  assert.deepEqual(byKind.water, [8, 8]);
});

test('residue numbers past 99,999: waters numbered on from their bead, GRO wraps and reads back, PDB writes hybrid-36', async () => {
  const pep = mapToCg(buildPeptide('MKTAYIAKQR', { phi: -65, psi: -40, chainId: 'A' }), loadMappingSet('martini3')).cg;
  const sb = new StructureBuilder(256);
  for (let i = 0; i < pep.atoms.count; i++) sb.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], resSeq: pep.atoms.resSeq[i], x: pep.coords[3 * i] + 20, y: pep.coords[3 * i + 1] + 20, z: pep.coords[3 * i + 2] + 20 });
  // 20 W beads numbered 99,990…: their 80 waters run past 99,999.
  for (let k = 0; k < 20; k++) sb.addAtom({ name: 'W', resName: 'W', resSeq: 99990 + k, x: 5 + 5 * (k % 5), y: 50, z: 5 + 5 * Math.floor(k / 5) });
  const cg = sb.build('big.gro', '', BOX);
  const out = await backmapStructure(cg, { model: 'template' });
  const w = Array.from(out.structure.atoms.resSeq).filter((_, i) => out.structure.atoms.resName[i] === 'TIP3' && out.structure.atoms.name[i] === 'OH2');
  assert.deepEqual(w, Array.from({ length: 80 }, (_, k) => 99990 + k));
  const back = parseGro(formatGro(out.structure), 'out.gro');
  assert.equal(count(back, 'TIP3'), 80, 'wrapped numbers read back as 80 distinct waters');
  const pdb = formatPdb(out.structure);
  assert.ok(pdb.includes(` OH2 TIP3 ${hy36encode(4, 100000)} `), 'hybrid-36 residue number 100000');
  assert.equal(count(parsePdb(pdb, 'out.pdb'), 'TIP3'), 80);
});

test('trajectories: the first backmapper\'s molecules are backmapped frame by frame; water is skipped with a warning', async () => {
  const { backmapTrajectory } = await import('../../../src/core/pipeline');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const aa = system(16);
  const cg = mapStructureToCg(aa, 'martini3').cg;
  const frames = { ...cg, models: [cg.coords, cg.coords.map((v) => v + 0.1)] };
  const dir = mkdtempSync(join(tmpdir(), 'bm-whole-traj-'));
  try {
    const warnings: string[] = [];
    const r = await backmapTrajectory({ topology: frames, out: join(dir, 'out.pdb'), model: 'template', warn: (w) => warnings.push(w.message) });
    assert.equal(r.frames, 2);
    assert.ok(warnings.some((w) => /skipped: .*water bead/.test(w)), warnings.join('\n'));
    const out = readStructureFile(join(dir, 'out.pdb'));
    assert.ok(out.atoms.resName.includes('MET') && !out.atoms.resName.includes('TIP3'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a protein inside a membrane system comes back exactly as backmapped alone (the protein model never sees lipids)', async () => {
  const bilayer = readStructureFile(join(__dirname, '..', '..', 'fixtures', 'martini3-bilayer', 'bilayer.gro'));
  const box = bilayer.box!;
  // A helix mapped to Martini 3, its centre in the middle of the bilayer's box (overlaps do not matter here).
  const pep = buildPeptide('MKTAYIAKQRQISFVKSHFSRQ', { phi: -65, psi: -40, chainId: 'A' });
  const cgPep = mapToCg(pep, loadMappingSet('martini3')).cg;
  const mid = [0, 1, 2].map((k) => {
    let s = 0;
    for (let i = 0; i < cgPep.atoms.count; i++) s += cgPep.coords[3 * i + k];
    return s / cgPep.atoms.count;
  });
  const centre = [box.a / 2, box.b / 2, box.c / 2];
  const sb = new StructureBuilder(cgPep.atoms.count + bilayer.atoms.count);
  const add = (s: Structure, i: number, d: number[], chainId: string) =>
    sb.addAtom({ name: s.atoms.name[i], resName: s.atoms.resName[i], chainId, resSeq: s.atoms.resSeq[i], x: s.coords[3 * i] + d[0], y: s.coords[3 * i + 1] + d[1], z: s.coords[3 * i + 2] + d[2] });
  const shift = centre.map((c, k) => c - mid[k]);
  for (let i = 0; i < cgPep.atoms.count; i++) add(cgPep, i, shift, 'A');
  for (let i = 0; i < bilayer.atoms.count; i++) add(bilayer, i, [0, 0, 0], '');
  const system = { ...sb.build('protein-in-membrane.gro'), box };
  const proteinOnly = new StructureBuilder(cgPep.atoms.count);
  for (let i = 0; i < cgPep.atoms.count; i++)
    proteinOnly.addAtom({ name: cgPep.atoms.name[i], resName: cgPep.atoms.resName[i], chainId: 'A', resSeq: cgPep.atoms.resSeq[i], x: cgPep.coords[3 * i] + shift[0], y: cgPep.coords[3 * i + 1] + shift[1], z: cgPep.coords[3 * i + 2] + shift[2] });
  const opts = { hydrogens: false, refine: false } as const;
  const whole = await backmapStructure(system, opts);
  const single = await backmapStructure(proteinOnly.build('protein.pdb'), opts);
  assert.equal(whole.report.models?.find((m) => m.residues === 22)?.model ?? single.report.modelId, single.report.modelId);
  const n = single.structure.atoms.count;
  for (let i = 0; i < n; i++) {
    assert.equal(whole.structure.atoms.name[i], single.structure.atoms.name[i]);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(whole.structure.coords[3 * i + k] - single.structure.coords[3 * i + k]) < 1e-4, `atom ${i} ${single.structure.atoms.name[i]}`);
  }
});
