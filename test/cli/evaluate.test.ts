/**
 * `backmap evaluate` when the two files number or name residues differently (issue 26): martinize2 renumbering,
 * GRO files without chain IDs, a missing terminal residue, and a truly different sequence (refused naming both
 * files). Synthetic files always run; the real martinize2 inputs and the ubiquitin simulation frame run when
 * ../shared/data is present.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { StructureBuilder } from '../../src/core/structure/builder';
import type { Structure } from '../../src/core/structure/types';
import { writeStructureFile } from '../../src/core/structure/write';
import { sharedDataRoot } from '../../src/core/dataset/tsv';
import { cli, noCrash, tempDir } from './helpers';

const t = tempDir('evaluate');
const p = (name: string) => join(t.dir, name);
after(() => t.cleanup());

const UBQ = 'MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG';
const ref = buildPeptide(UBQ, { chainId: 'A', phi: -65, psi: -40 });
writeStructureFile(p('ref.pdb'), ref);

/** `s` with residues renumbered, rechained or left out. */
function edited(s: Structure, edit: (resSeq: number) => { resSeq?: number; chainId?: string; drop?: boolean }): Structure {
  const b = new StructureBuilder(s.atoms.count);
  const a = s.atoms;
  for (let i = 0; i < a.count; i++) {
    const e = edit(a.resSeq[i]);
    if (e.drop) continue;
    b.addAtom({ name: a.name[i], resName: a.resName[i], chainId: e.chainId ?? a.chainId[i], resSeq: e.resSeq ?? a.resSeq[i], element: a.element[i], x: s.coords[3 * i], y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
  }
  return b.build('edited');
}

interface EvalJson {
  rmsd_all: number;
  rmsd_bb: number;
  matched_atoms: number;
  residue_matching: { method: string; matched_residues: number; model_residues: number; chains: { model_chain: string; reference_chain: string; numbering_offset: number | null }[] };
}

async function evaluateJson(model: string, reference: string, ...extra: string[]): Promise<EvalJson> {
  const r = await cli('evaluate', model, reference, '--json', ...extra);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as EvalJson;
}

test('same numbering: matched by number, said so', async () => {
  const r = await cli('evaluate', p('ref.pdb'), p('ref.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^residues matched by chain and residue number: 76 of 76 model residues/m);
  assert.match(r.out, /^RMSD all 0\.000 Å$/m);
  assert.match(r.out, /as placed, no superposition/);
});

test('renumbered model (martinize2 style): matched by sequence alignment, offset stated, RMSD 0', async () => {
  writeStructureFile(p('renumbered.pdb'), edited(ref, (n) => ({ resSeq: n + 100 })));
  const r = await cli('evaluate', p('renumbered.pdb'), p('ref.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^residues matched by sequence alignment \(chain IDs or numbering differ\): 76 of 76 model residues \(reference 76\)/m);
  assert.match(r.out, /model chain A 101–176 ↔ reference chain A 1–76: 76 residues, reference numbering differs by -100/);
  assert.match(r.out, /^RMSD all 0\.000 Å$/m);
  const j = await evaluateJson(p('renumbered.pdb'), p('ref.pdb'));
  assert.equal(j.residue_matching.method, 'sequence');
  assert.equal(j.residue_matching.chains[0].numbering_offset, -100);
  assert.equal(j.matched_atoms, ref.atoms.count);
  assert.equal(j.rmsd_all, 0);
});

test('GRO model (no chain IDs) against a PDB reference with chain A', async () => {
  writeStructureFile(p('model.gro'), ref);
  const j = await evaluateJson(p('model.gro'), p('ref.pdb'));
  assert.equal(j.residue_matching.method, 'sequence');
  assert.equal(j.residue_matching.chains[0].model_chain, '');
  assert.equal(j.residue_matching.chains[0].reference_chain, 'A');
  assert.equal(j.matched_atoms, ref.atoms.count);
  assert.ok(j.rmsd_all < 0.01, `GRO precision only: ${j.rmsd_all}`);
  // and with --chain A (the reference's chain; the GRO takes part whole)
  assert.equal((await evaluateJson(p('model.gro'), p('ref.pdb'), '--chain', 'A')).matched_atoms, ref.atoms.count);
});

test('a missing N-terminal residue with the numbering starting again at 1: the rest is not shifted', async () => {
  writeStructureFile(p('no-met.pdb'), edited(ref, (n) => (n === 1 ? { drop: true } : { resSeq: n - 1 })));
  const r = await cli('evaluate', p('no-met.pdb'), p('ref.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /75 of 75 model residues \(reference 76\)/);
  assert.match(r.out, /reference numbering differs by \+1/);
  assert.match(r.out, /^RMSD all 0\.000 Å$/m);
});

test('a truly different sequence is refused naming both files, exit 1, nothing scored', async () => {
  writeStructureFile(p('other.pdb'), buildPeptide('WWHHCCWWHHCCWWHHCCWWHHCC', { chainId: 'A' }));
  const r = await cli('evaluate', p('other.pdb'), p('ref.pdb'));
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /other\.pdb: not the same molecule as the reference .*ref\.pdb: \d+ of 24 residues align/);
  assert.match(r.err, /model WWHHCC.*reference MQIFVK/);
  assert.ok(noCrash(r), r.err);
});

const data = sharedDataRoot();
const skip = !data && '../shared/data absent';

test('real martinize2 inputs: backmapped without flags, evaluated against their all-atom input', { skip }, async () => {
  const base = join(data!, 'raw', 'paired_aa_cg', 'vermouth', 'integration_tests');
  // EN_chain: insulin, chain B numbered on from chain A (22…); dipro-termini: numbered from 1 against 2.
  const cases = [
    { name: 'EN_chain', cg: join(base, 'tier-1', 'EN_chain', 'martinize2', 'cg.pdb'), aa: join(base, 'tier-1', 'EN_chain', 'aa.pdb.gz'), residues: 51 },
    { name: 'dipro', cg: join(base, 'tier-0', 'dipro-termini', 'martinize2', 'cg.pdb'), aa: join(base, 'tier-0', 'dipro-termini', 'aa.pdb'), residues: 2 },
    { name: '1UBQ', cg: join(base, 'tier-1', '1UBQ', 'martinize2', 'cg.pdb'), aa: join(base, 'tier-1', '1UBQ', 'aa.pdb.gz'), residues: 76 },
  ];
  for (const c of cases) {
    const out = p(`${c.name}.backmapped.pdb`);
    const b = await cli('backmap', c.cg, '-o', out);
    assert.equal(b.code, 0, b.err);
    const j = await evaluateJson(out, c.aa);
    console.log(`# ${c.name}: matched ${j.residue_matching.method}, ${j.residue_matching.matched_residues} residues, RMSD all ${j.rmsd_all.toFixed(3)} Å`);
    assert.equal(j.residue_matching.matched_residues, c.residues, c.name);
    // the old by-number matching gave 8.8 (EN_chain) and 4.7 Å (dipro) here
    assert.ok(j.rmsd_all < 1.0 && j.rmsd_bb < 0.7, `${c.name}: RMSD all ${j.rmsd_all}, backbone ${j.rmsd_bb}`);
  }
});

test('the GRO of a simulation frame: backmapped, evaluated against the all-atom start with --superpose', { skip }, async () => {
  const dir = join(data!, 'cgsim', '1UBQ');
  const out = p('frame0.backmapped.gro');
  const b = await cli('backmap', join(dir, 'topol_protein.gro'), '-o', out);
  assert.equal(b.code, 0, b.err);
  const r = await cli('evaluate', out, join(dir, 'aa_reference.pdb'), '--superpose');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /residues matched by sequence alignment .*: 76 of 76 model residues \(reference 76\)/);
  assert.match(r.out, /model \(no chain ID\) 1–76 ↔ reference chain A 1–76: 76 residues, same numbering/);
  assert.match(r.out, /^matched heavy atoms 602 /m);
  const all = Number(/^RMSD all ([\d.]+) Å$/m.exec(r.out)?.[1]);
  // 17.7 ns of dynamics from the start (backbone beads 1.9 Å on average): close, not identical
  assert.ok(all > 0.3 && all < 3, `RMSD all ${all}`);
});

// ---------------------------------------------------------------------------------------------
// issue 28: the paper's metrics (GED, Ramachandran agreement, Cα RMSD) and C-alpha traces

/** The Cα atoms of `s` only, moved by `shift`, renumbered by `resSeq`. */
function caTrace(s: Structure, shift = [0, 0, 0], resSeq = (n: number) => n): Structure {
  const b = new StructureBuilder(s.atoms.count);
  const a = s.atoms;
  for (let i = 0; i < a.count; i++)
    if (a.name[i] === 'CA')
      b.addAtom({ name: 'CA', resName: a.resName[i], chainId: a.chainId[i], resSeq: resSeq(a.resSeq[i]), element: 'C', x: s.coords[3 * i] + shift[0], y: s.coords[3 * i + 1] + shift[1], z: s.coords[3 * i + 2] + shift[2] });
  return b.build('trace');
}

interface PaperJson {
  ca_only?: boolean;
  rmsd_ca: number;
  rmsd_ca_superposed?: number;
  matched_ca: number;
  rmsd_all: number | null;
  ged_normalized: number | null;
  rama_agreement: number | null;
  rama_residues?: number;
  clash_pct: number;
}

test('all-atom: GED, Ramachandran agreement and Cα RMSD in the text and in --json', async () => {
  const r = await cli('evaluate', p('ref.pdb'), p('ref.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^RMSD Cα 0\.000 Å \(76 Cα atoms; 0\.000 Å after superposition\)$/m);
  assert.match(r.out, /^graph edit distance \(bond graph, normalised\) 0\.0000 \(0 edits over 602 atoms \+ \d+ bonds\)$/m);
  // 76 residues, the two termini without φ or ψ
  assert.match(r.out, /^Ramachandran agreement 100\.0 % of 74 residues/m);
  // the same sequence as a strand: every residue in another region
  writeStructureFile(p('strand.pdb'), buildPeptide(UBQ, { chainId: 'A', phi: -120, psi: 130 }));
  const j = (await evaluateJson(p('strand.pdb'), p('ref.pdb'))) as unknown as PaperJson;
  assert.equal(j.rama_agreement, 0);
  assert.equal(j.rama_residues, 74);
  // the same bonds but one: the ideal helix has one side-chain contact (Y59 CE2–K63 CE) short enough to read as a
  // bond; 1 edit over the reference's 602 atoms + 609 bonds
  assert.equal(j.ged_normalized, 1 / (602 + 609));
  assert.ok(j.rmsd_ca > 10, `${j.rmsd_ca}`);
  assert.equal(j.ca_only, undefined);
  // a shifted copy: Cα RMSD as placed, and after the fit with --superpose
  const moved = buildPeptide(UBQ, { chainId: 'A', phi: -65, psi: -40 });
  for (let i = 0; i < moved.coords.length; i += 3) { moved.coords[i] += 1; moved.coords[i + 1] += 2; moved.coords[i + 2] += 2; }
  writeStructureFile(p('moved.pdb'), moved);
  const placed = (await evaluateJson(p('moved.pdb'), p('ref.pdb'))) as unknown as PaperJson;
  assert.ok(Math.abs(placed.rmsd_ca - 3) < 0.002, `${placed.rmsd_ca}`); // PDB precision
  const fitted = (await evaluateJson(p('moved.pdb'), p('ref.pdb'), '--superpose')) as unknown as PaperJson;
  assert.ok(fitted.rmsd_ca < 0.002, `${fitted.rmsd_ca}`);
});

test('a C-alpha trace against the all-atom reference: accepted, only the Cα metrics, said so', async () => {
  writeStructureFile(p('trace.pdb'), caTrace(ref, [1, 2, 2]));
  const r = await cli('evaluate', p('trace.pdb'), p('ref.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /trace\.pdb is a C-alpha trace: only the Cα metrics apply/);
  assert.match(r.out, /^RMSD Cα 3\.000 Å \(76 Cα atoms; 0\.000 Å after superposition\)$/m);
  assert.match(r.out, /^clashes 0\.00 % of residues$/m);
  assert.doesNotMatch(r.out, /^(RMSD all|RMSD backbone|graph edit distance|Ramachandran agreement) /m);
  const j = JSON.parse((await cli('evaluate', p('trace.pdb'), p('ref.pdb'), '--json')).out) as PaperJson;
  assert.equal(j.ca_only, true);
  assert.equal(j.matched_ca, 76);
  assert.ok(Math.abs(j.rmsd_ca - 3) < 0.002, `${j.rmsd_ca}`);
  assert.ok(j.rmsd_ca_superposed! < 0.002);
  assert.equal(j.rmsd_all, null);
  assert.equal(j.ged_normalized, null);
  assert.equal(j.rama_agreement, null);
  // against a C-alpha reference, and renumbered (matched by sequence: a lone Cα is a residue of the chain)
  writeStructureFile(p('ref-trace.pdb'), caTrace(ref));
  writeStructureFile(p('trace-renumbered.pdb'), caTrace(ref, [0, 0, 0], (n) => n + 100));
  const both = await cli('evaluate', p('trace-renumbered.pdb'), p('ref-trace.pdb'), '--superpose');
  assert.equal(both.code, 0, both.err);
  assert.match(both.out, /matched by sequence alignment .*: 76 of 76 model residues/);
  assert.match(both.out, /are C-alpha traces: only the Cα metrics apply/);
  assert.match(both.out, /^RMSD Cα 0\.000 Å \(76 Cα atoms, after superposition\)$/m);
  // an all-atom model against a C-alpha reference: the same Cα metrics
  const aa = JSON.parse((await cli('evaluate', p('ref.pdb'), p('ref-trace.pdb'), '--json')).out) as PaperJson;
  assert.equal(aa.ca_only, true);
  assert.equal(aa.rmsd_ca, 0);
});

test('a C-alpha trace in nm in a .pdb is refused by the CG unit check; Martini beads stay refused', async () => {
  const nm = caTrace(ref);
  for (let i = 0; i < nm.coords.length; i++) nm.coords[i] /= 10;
  writeStructureFile(p('trace-nm.pdb'), nm);
  const r = await cli('evaluate', p('trace-nm.pdb'), p('ref.pdb'));
  assert.equal(r.code, 1);
  assert.match(r.err, /trace-nm\.pdb.*look like nanometres/);
  const m = await cli('map', p('ref.pdb'), '--mapping', 'martini3', '-o', p('ref.cg.pdb'));
  assert.equal(m.code, 0, m.err);
  const cg = await cli('evaluate', p('ref.cg.pdb'), p('ref.pdb'));
  assert.equal(cg.code, 1);
  assert.match(cg.err, /ref\.cg\.pdb.*coarse-grained structure \(bead names BB, SC1…\): evaluate compares all-atom structures or C-alpha traces/);
  assert.ok(noCrash(cg), cg.err);
});
