/** Forward mapping, CG assignment and reconstruction details on small synthetic inputs (no ../shared needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { InputError } from '../../../src/core/errors';
import type { Structure } from '../../../src/core/structure/types';
import { mapCoords, mapToCg, normalizeAtomName } from '../../../src/core/forward';
import { assignCg } from '../../../src/core/cg';
import { reconstruct, reconstructCoords, targetVectors } from '../../../src/core/reconstruct';
import { REPO, filterAtoms } from '../../helpers/reference-data';
import { validateMappingFolder } from '../../../src/core/mapping/load';
import { generate } from '../../../mappings/generate';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const m3 = loadMappingSet('martini3');
const ca = loadMappingSet('ca');

/** A copy of `s` with residue/atom names changed by `f` (returns new name or null to drop the atom). */
function edit(s: Structure, f: (resName: string, atom: string, resSeq: number) => string | null, res?: (r: string, resSeq: number) => string): Structure {
  const keep = (i: number) => f(s.atoms.resName[i], s.atoms.name[i], s.atoms.resSeq[i]) !== null;
  const t = filterAtoms(s, keep);
  const orig = [...Array(s.atoms.count).keys()].filter(keep);
  orig.forEach((i, k) => {
    t.atoms.name[k] = f(s.atoms.resName[i], s.atoms.name[i], s.atoms.resSeq[i])!;
    if (res) t.atoms.resName[k] = res(s.atoms.resName[i], s.atoms.resSeq[i]);
  });
  return t;
}

const dist = (a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number) =>
  Math.hypot(a[3 * i] - b[3 * j], a[3 * i + 1] - b[3 * j + 1], a[3 * i + 2] - b[3 * j + 2]);

test('normalizeAtomName moves leading digits to the end', () => {
  assert.equal(normalizeAtomName('1HB'), 'HB1');
  assert.equal(normalizeAtomName('2HD1'), 'HD12');
  assert.equal(normalizeAtomName('CA'), 'CA');
});

test('bead = mass-weighted mean of present members; OXT only in the last residue', () => {
  const s = buildPeptide('GAFK');
  const fw = mapToCg(s, m3);
  assert.deepEqual(
    fw.system.residues.map((r) => r.beads.length),
    [1, 2, 4, 3],
  );
  // BB of GLY 1: N, CA, C, O with masses 14.007, 12.011, 12.011, 15.999.
  const idx = (res: number, name: string) => [...Array(s.atoms.count).keys()].find((i) => s.atoms.resSeq[i] === res && s.atoms.name[i] === name)!;
  const w = [14.007, 12.011, 12.011, 15.999];
  const at = ['N', 'CA', 'C', 'O'].map((n) => idx(1, n));
  for (let c = 0; c < 3; c++) {
    const exp = at.reduce((acc, i, k) => acc + w[k] * s.coords[3 * i + c], 0) / w.reduce((a, b) => a + b);
    assert.ok(Math.abs(fw.system.coords[c] - exp) < 1e-9);
  }
  assert.equal(fw.report.missingAtoms.length, 0);
  assert.equal(fw.report.unmappedAtoms.length, 0);
  // The matrix maps another frame identically.
  const again = mapCoords(fw, s.coords);
  assert.ok(again.every((x, i) => Math.abs(x - fw.system.coords[i]) < 1e-12));
  // CG structure: one atom per bead, named like the bead.
  assert.deepEqual(fw.cg.atoms.name.slice(0, 4), ['BB', 'BB', 'SC1', 'BB']);
  assert.equal(fw.cg.atoms.resName[3], 'PHE');
});

test('CHARMM/PDB-v2 names, protonation variants and unknown residues are handled and reported with lines', () => {
  const s = buildPeptide('AIHK');
  // CHARMM names: ILE CD, C-terminal OT1/OT2, HSD; a digit-first hydrogen; an unknown atom; a water.
  const charmm = edit(
    s,
    (rn, a, rs) => (rn === 'ILE' && a === 'CD1' ? 'CD' : rs === 4 && a === 'O' ? 'OT1' : a === 'OXT' ? 'OT2' : a),
    (rn) => (rn === 'HIS' ? 'HSD' : rn),
  );
  let text = formatPdb(charmm).replace(/^END.*$/m, '');
  const hLine = 'ATOM    999 1HB  ALA A   1       0.000   0.000   0.000  1.00  0.00           H\n';
  const xLine = 'ATOM    998  XX1 LYS A   4       0.000   0.000   0.000  1.00  0.00           C\n';
  const wLine = 'HETATM  997  O   HOH W   1       5.000   5.000   5.000  1.00  0.00           O\n';
  const lines = text.split('\n').filter((l) => l.trim());
  const firstAla = lines.findIndex((l) => l.startsWith('ATOM') && l.includes('ALA'));
  lines.splice(firstAla + 1, 0, hLine.trimEnd());
  const lastLys = lines.map((l) => l.startsWith('ATOM') && l.includes('LYS')).lastIndexOf(true);
  lines.splice(lastLys + 1, 0, xLine.trimEnd(), wLine.trimEnd());
  text = lines.join('\n') + '\nEND\n';
  const pdb = parsePdb(text, 'charmm.pdb');
  const fw = mapToCg(pdb, m3);
  assert.equal(fw.system.residues.length, 4);
  assert.equal(fw.system.residues[2].molecule.name, 'HSD');
  assert.deepEqual(fw.report.missingAtoms, []);
  assert.equal(fw.report.unknownResidues.length, 1);
  assert.equal(fw.report.unknownResidues[0].resName, 'HOH');
  assert.equal(fw.report.unknownResidues[0].line, text.split('\n').findIndex((l) => l.includes('HOH')) + 1);
  assert.deepEqual(
    fw.report.unmappedAtoms.map((u) => [u.resName, u.atom, u.line]),
    [['LYS', 'XX1', text.split('\n').findIndex((l) => l.includes('XX1')) + 1]],
  );
  // ILE CD and OT2 fill the CD1/OXT slots, written back with canonical names.
  const v = targetVectors(fw.system, pdb.coords, fw.slotAtoms);
  const out = reconstruct(fw.system, v);
  const ile = out.atoms.name.filter((_, i) => out.atoms.resSeq[i] === 2);
  const lys = out.atoms.name.filter((_, i) => out.atoms.resSeq[i] === 4);
  assert.ok(ile.includes('CD1') && !ile.includes('CD'));
  assert.deepEqual(lys.slice(0, 4), ['N', 'CA', 'C', 'O']);
  assert.ok(lys.includes('OXT') && !lys.includes('OT2'));
  // residueNameMap renames an unknown residue onto a known one.
  const odd = edit(s, (_, a) => a, (rn) => (rn === 'ALA' ? 'XAL' : rn));
  assert.equal(mapToCg(odd, m3).report.unknownResidues.length, 1);
  assert.equal(mapToCg(odd, m3, { residueNameMap: { XAL: 'ALA' } }).system.residues.length, 4);
});

test('missing atoms: bead over the present atoms, slot absent, reported; empty bead drops the residue', () => {
  const s = buildPeptide('GKG');
  const noCg = edit(s, (rn, a) => (rn === 'LYS' && a === 'CG' ? null : a));
  const fw = mapToCg(noCg, m3);
  assert.deepEqual(fw.report.missingAtoms.map((m) => `${m.resName}${m.resSeq}:${m.atom}`), ['LYS2:CG']);
  const R = m3.maxSlots;
  const lys = fw.system.residues[1];
  const sc1 = lys.beads[1];
  const slots = lys.molecule.beads[1].slots;
  const cgSlot = slots.findIndex((sl) => lys.molecule.atoms[sl.atom].names[0] === 'CG');
  assert.equal(fw.slotAtoms[sc1 * R + cgSlot], -1);
  const cb = noCg.atoms.name.indexOf('CB');
  const cd = noCg.atoms.name.indexOf('CD');
  for (let c = 0; c < 3; c++) {
    const exp = (noCg.coords[3 * cb + c] + noCg.coords[3 * cd + c]) / 2; // both carbon
    assert.ok(Math.abs(fw.system.coords[3 * sc1 + c] - exp) < 1e-9);
  }
  // Reconstruction of the rest is still exact; CG itself cannot be predicted from a NaN target.
  const v = targetVectors(fw.system, noCg.coords, fw.slotAtoms);
  const out = reconstruct(fw.system, v);
  assert.ok(!out.atoms.name.some((n, i) => n === 'CG' && out.atoms.resSeq[i] === 2));
  const noSc2 = edit(s, (rn, a) => (rn === 'LYS' && (a === 'CE' || a === 'NZ') ? null : a));
  const fw2 = mapToCg(noSc2, m3);
  assert.equal(fw2.system.residues.length, 2);
  assert.deepEqual(fw2.report.droppedResidues.map((d) => [d.resName, d.beads]), [['LYS', ['SC2']]]);
});

test('assignCg reads mapped CG back; unknown residues, beads and missing beads are reported with lines', () => {
  const s = buildPeptide('MKVW', { chainId: 'A' });
  const fw = mapToCg(s, m3);
  const cgText = formatPdb(fw.cg);
  const cg = parsePdb(cgText, 'cg.pdb');
  const { system, unknown } = assignCg(cg, m3);
  assert.equal(unknown.length, 0);
  assert.equal(system.beads.length, fw.system.beads.length);
  for (let i = 0; i < system.coords.length; i++) assert.ok(Math.abs(system.coords[i] - fw.system.coords[i]) < 2e-3);
  // A water bead: error naming file and line, or skipped with `partial`.
  const lines = cgText.split('\n');
  const endAt = lines.findIndex((l) => l.startsWith('END'));
  lines.splice(endAt, 0, 'HETATM  900  W   W   B   1       1.000   1.000   1.000  1.00  0.00');
  const withW = lines.join('\n');
  const wLine = lines.findIndex((l) => l.includes(' W   W ')) + 1;
  assert.throws(() => assignCg(parsePdb(withW, 'w.pdb'), m3), (e: unknown) => e instanceof InputError && e.line === wLine && /W/.test(e.message));
  const part = assignCg(parsePdb(withW, 'w.pdb'), m3, { partial: true });
  assert.deepEqual(part.unknown.map((u) => [u.resName, u.line]), [['W', wLine]]);
  // A residue without one of its beads.
  const noSc = cgText.split('\n').filter((l) => !(l.includes('SC2') && l.includes('TRP'))).join('\n');
  assert.throws(() => assignCg(parsePdb(noSc, 'nosc.pdb'), m3), (e: unknown) => e instanceof InputError && /TRP/.test(e.message) && /SC2/.test(e.message));
  // An unknown bead name in a known residue.
  const badBead = cgText.replace(/SC1 (\s*)MET/, 'SCX $1MET');
  assert.throws(() => assignCg(parsePdb(badBead, 'bad.pdb'), m3), (e: unknown) => e instanceof InputError && /SCX/.test(e.message));
});

test('chain segments: new chain id or backbone beads > 6 Å apart', () => {
  const a = buildPeptide('AAAA', { chainId: 'A' });
  const fw = mapToCg(a, ca);
  assert.deepEqual(fw.system.residues.map((r) => r.chainIndex), [0, 0, 0, 0]);
  // Pull the last residue 20 Å away: a gap, and residue 3 becomes a C-terminus (gets OXT when reconstructed).
  const moved = filterAtoms(a, () => true);
  for (let i = 0; i < moved.atoms.count; i++) if (moved.atoms.resSeq[i] === 4) moved.coords[3 * i] += 20;
  const fw2 = mapToCg(moved, ca);
  assert.deepEqual(fw2.system.residues.map((r) => r.chainIndex), [0, 0, 0, 1]);
  const two = buildPeptide('AAAAAA', { chainId: 'A' });
  const split = edit(two, (_, n) => n);
  for (let i = 0; i < split.atoms.count; i++) if (split.atoms.resSeq[i] > 3) split.atoms.chainId[i] = 'B';
  assert.deepEqual(mapToCg(split, ca).system.residues.map((r) => r.chainIndex), [0, 0, 0, 1, 1, 1]);
});

test('assignCg makes chains whole across a rectangular periodic box', () => {
  const s = buildPeptide('MKVWAAGLKE', { phi: -120, psi: 130 });
  const fw = mapToCg(s, m3);
  const cg = filterAtoms(fw.cg, () => true);
  const L = 12;
  cg.box = { a: L, b: L, c: L, alpha: 90, beta: 90, gamma: 90 };
  for (let i = 0; i < cg.coords.length; i++) cg.coords[i] = ((cg.coords[i] % L) + L) % L; // wrap into the box
  const { system, unwrapped } = assignCg(cg, m3);
  assert.ok(unwrapped > 0);
  assert.deepEqual(new Set(system.residues.map((r) => r.chainIndex)), new Set([0]));
  // Whole again: equal to the original up to one overall box translation.
  const shift = [0, 1, 2].map((k) => system.coords[k] - fw.system.coords[k]);
  for (let i = 0; i < system.coords.length; i++) assert.ok(Math.abs(system.coords[i] - fw.system.coords[i] - shift[i % 3]) < 1e-6);
  assert.ok(shift.every((d) => Math.abs(d / L - Math.round(d / L)) < 1e-6));
  // Without unwrapping the wrapped chain falls apart into segments.
  assert.ok(new Set(assignCg(cg, m3, { unwrap: false }).system.residues.map((r) => r.chainIndex)).size > 1);
});

test('assignCg leaves a molecule larger than half its box as it is, and a placeholder box is not periodic', () => {
  // Long side chains (TRP, ARG, LYS) reach farther from their backbone bead than half a 10 Å box: folding them onto
  // the nearest image would break residues that are whole.
  const s = buildPeptide('WRKWRKW', { phi: -120, psi: 130 });
  const cg = filterAtoms(mapToCg(s, m3).cg, () => true);
  const far = (L: number) => {
    let n = 0;
    for (const r of mapToCg(s, m3).system.residues)
      for (const b of r.beads) for (let k = 0; k < 3; k++) if (Math.abs(cg.coords[3 * b + k] - cg.coords[3 * r.beads[0] + k]) > L / 2) n++;
    return n;
  };
  assert.ok(far(10) > 0, 'the test needs beads farther than half the box from their residue\'s first bead');
  for (const L of [10, 7.4]) {
    const boxed = { ...cg, box: { a: L, b: L, c: L, alpha: 90, beta: 90, gamma: 90 } };
    const { system, unwrapped } = assignCg(boxed, m3);
    assert.equal(unwrapped, 0, `box ${L} Å`);
    assert.deepEqual(Array.from(system.coords), Array.from(assignCg(cg, m3).system.coords));
  }
});

test('reconstruct: translation of the beads translates the atoms; shared atoms are averaged', () => {
  const s = buildPeptide('AFA');
  const fw = mapToCg(s, m3);
  const v = targetVectors(fw.system, s.coords, fw.slotAtoms);
  const base = reconstructCoords(fw.system, v);
  const shifted = fw.system.coords.map((x, i) => x + (i % 3 === 1 ? 5 : 0));
  const moved = reconstructCoords(fw.system, v, shifted);
  for (let i = 0; i < base.length; i++) assert.ok(Math.abs(moved[i] - base[i] - (i % 3 === 1 ? 5 : 0)) < 1e-9);
  // PHE CZ is reconstructed by SC2 and SC3: a change in one bead's vector moves it by half.
  const R = m3.maxSlots;
  const phe = fw.system.residues[1];
  const sc2 = phe.beads[phe.molecule.beadIndex.get('SC2')!];
  const slots = phe.molecule.beads[phe.molecule.beadIndex.get('SC2')!].slots;
  const j = slots.findIndex((sl) => phe.molecule.atoms[sl.atom].names[0] === 'CZ');
  const v2 = v.slice();
  v2[(sc2 * R + j) * 3] += 1;
  const out = reconstruct(fw.system, v2);
  const exact = reconstruct(fw.system, v);
  const cz = out.atoms.name.findIndex((n, i) => n === 'CZ' && out.atoms.resSeq[i] === 2);
  // SC2's recentring spreads the +1 Å over its atoms: CZ moves by (1 − w_CZ)/2 in x.
  const wCz = slots[j].recenterWeight;
  assert.ok(Math.abs(out.coords[3 * cz] - exact.coords[3 * cz] - (1 - wCz) / 2) < 1e-6);
  assert.ok(dist(out.coords, cz, exact.coords, cz) < 1);
});

test('bundled sets: no error or warning diagnostics, generated files are up to date', () => {
  for (const id of ['martini3', 'ca']) {
    const rep = validateMappingFolder(join(REPO, 'mappings', id));
    const bad = [...rep.folderDiagnostics, ...rep.files.flatMap((f) => f.diagnostics)].filter((d) => d.severity !== 'information');
    assert.deepEqual(bad.map((d) => `${d.span.file}:${d.span.line} ${d.code} ${d.message}`), []);
    const set = loadMappingSet(id);
    for (const n of ['ALA', 'ARG', 'ASN', 'ASP', 'CYS', 'CYX', 'GLN', 'GLU', 'GLY', 'HIS', 'HID', 'HIE', 'HIP', 'HSD', 'HSE', 'HSP', 'ILE', 'LEU', 'LYS', 'MET', 'PHE', 'PRO', 'SER', 'THR', 'TRP', 'TYR', 'VAL'])
      assert.ok(set.molecules.has(n), `${id} has ${n}`);
    // Every heavy atom is reconstructed with a resolved, bonded anchor; CA set: one CA bead rooted on CA.
    for (const m of set.molecules.values())
      for (const b of m.beads) for (const s of b.slots) assert.ok(s.resolved, `${id} ${m.name} ${b.name} ${m.atoms[s.atom].names[0]}`);
    if (id === 'ca') for (const m of set.molecules.values()) assert.deepEqual(m.beads.map((b) => b.name), ['CA']);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'geom-gen-'));
  try {
    generate(tmp);
    for (const id of ['martini3', 'ca'])
      for (const f of readdirSync(join(REPO, 'mappings', id)))
        assert.equal(readFileSync(join(tmp, id, f), 'utf8'), readFileSync(join(REPO, 'mappings', id, f), 'utf8'), `${id}/${f} is stale: run npm run mappings:generate`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('legacy alternative configurations: the best-matching file is used, translated by position', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geom-cfg-'));
  try {
    const a = ['molecule: ALA', 'atoms:', '  N: BB P2AA', '  CA: BB P1A', '  C: BB P2AB', '  O: BB P3BA', '  CB: SC1 P1A', ''];
    const b = a.map((l) => l.replace('  N:', '  NX:').replace('  O:', '  OY:'));
    writeFileSync(join(dir, 'ala.a.yaml'), a.join('\n'));
    writeFileSync(join(dir, 'ala.b.yaml'), b.join('\n'));
    writeFileSync(join(dir, 'bead_types.yaml'), 'ALA_BB: 0\nALA_SC1: 1\n');
    const set = loadMappingSet(dir);
    assert.equal(set.configurations.get('ALA')!.length, 2);
    const s = buildPeptide('A');
    const renamed = edit(s, (_, n) => (n === 'N' ? 'NX' : n === 'O' ? 'OY' : n === 'OXT' ? null : n));
    const fw1 = mapToCg(s, set);
    const fw2 = mapToCg(renamed, set);
    assert.equal(fw2.report.unmappedAtoms.length, 0);
    assert.deepEqual([...fw2.system.coords], [...fw1.system.coords]);
    // Slots refer to the primary configuration's atoms; the translated atoms fill them.
    assert.ok(fw2.slotAtoms.every((x, i) => (x < 0) === (fw1.slotAtoms[i] < 0)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
