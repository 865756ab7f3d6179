/**
 * The backmapping report's comparison rows (issue 28: Cα RMSD, bond-graph edit distance, Ramachandran agreement,
 * computed by `metricsOf`) and its table of stages for a chain of models. A template backmap of a small peptide
 * and a C-alpha trace of it, both against the peptide.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { backmapStructure, renderReport, type BackmapReport } from '../../../src/core/pipeline';
import { metricsOf } from '../../../src/core/pipeline/run';
import { bondGraphEditDistance, caRmsd, ramachandranAgreement } from '../../../src/core/metrics';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';

const reference = buildPeptide('MKTAYIAKQRQISFVKSHFSRQLEERLG', { phi: -65, psi: -40 });
const cg = mapToCg(reference, loadMappingSet('martini3')).cg;

function caTrace(s: Structure, shift: number[]): Structure {
  const b = new StructureBuilder(s.atoms.count);
  for (let i = 0; i < s.atoms.count; i++)
    if (s.atoms.name[i] === 'CA')
      b.addAtom({ name: 'CA', resName: s.atoms.resName[i], chainId: s.atoms.chainId[i], resSeq: s.atoms.resSeq[i], element: 'C', x: s.coords[3 * i] + shift[0], y: s.coords[3 * i + 1] + shift[1], z: s.coords[3 * i + 2] + shift[2] });
  return b.build('trace');
}

/** The markdown table row matching `label`; fails when there is none. */
const row = (md: string, label: RegExp): string => {
  const line = md.split('\n').find((l) => label.test(l));
  assert.ok(line, `no row ${label} in:\n${md}`);
  return line;
};

test('with a reference: Cα RMSD, GED and Ramachandran agreement in the report, as the metrics compute them', async () => {
  // the metrics run on the heavy atoms under the engine's names, before the hydrogen step: compared on that output
  const out = await backmapStructure(cg, { model: 'template', reference, hydrogens: false });
  const c = out.report.comparison;
  assert.ok(c, 'no comparison in the report');
  const ca = caRmsd(out.structure, reference);
  const rama = ramachandranAgreement(out.structure, reference);
  assert.equal(c.rmsdCa, ca.rmsd);
  assert.equal(c.rmsdCaSuperposed, ca.superposed);
  assert.equal(c.caMatched, 28);
  assert.equal(c.gedNormalized, bondGraphEditDistance(out.structure, reference).normalized);
  assert.equal(c.ramaAgreement, rama.agreement);
  assert.equal(c.ramaResidues, 26);
  // the template keeps the backbone beads' places: a close backmap, not a copy
  assert.ok(c.rmsdCa < 1 && c.gedNormalized < 0.2 && c.ramaAgreement > 0.5, JSON.stringify(c));
  const md = renderReport(out);
  assert.equal(row(md, /^\| Cα \(/), `| Cα (28 matched) | ${c.rmsdCa.toFixed(3)} |`);
  assert.equal(row(md, /^\| Cα after superposition/), `| Cα after superposition | ${c.rmsdCaSuperposed!.toFixed(3)} |`);
  assert.equal(row(md, /^\| bond-graph edit distance/), `| bond-graph edit distance (normalised, 0 = same bonds) | ${c.gedNormalized.toFixed(4)} |`);
  assert.equal(
    row(md, /^\| Ramachandran agreement/),
    `| Ramachandran agreement (same region: αR, β/PPII, αL, other) | ${(100 * c.ramaAgreement).toFixed(1)} % of 26 residues |`,
  );
  // the RMSD table keeps its rows, Cα before the matched atoms
  const lines = md.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  assert.ok(at(/^\| all heavy atoms \|/) < at(/^\| Cα \(/) && at(/^\| Cα \(/) < at(/^\| matched atoms \|/));
  assert.doesNotMatch(md, /## Stages/);
});

test('without a reference: no comparison, no measure table', async () => {
  const out = await backmapStructure(cg, { model: 'template' });
  assert.equal(out.report.comparison, undefined);
  const md = renderReport(out);
  assert.doesNotMatch(md, /bond-graph edit distance|Ramachandran agreement|\| Cα/);
});

test('metricsOf on a C-alpha trace (the first stage of a chain): Cα RMSD, the rest n/a', async () => {
  const { report } = await backmapStructure(cg, { model: 'template', skipMetrics: true });
  metricsOf(caTrace(reference, [1, 2, 2]), reference, report);
  const c = report.comparison!;
  assert.ok(Math.abs(c.rmsdCa - 3) < 1e-12, `${c.rmsdCa}`);
  assert.ok(c.rmsdCaSuperposed! < 1e-9);
  assert.ok(Number.isNaN(c.gedNormalized) && Number.isNaN(c.ramaAgreement));
  assert.equal(c.ramaResidues, 0);
  const md = renderReport({ report });
  assert.equal(row(md, /^\| bond-graph edit distance/), '| bond-graph edit distance (normalised, 0 = same bonds) | n/a |');
  assert.equal(row(md, /^\| Ramachandran agreement/), '| Ramachandran agreement (same region: αR, β/PPII, αL, other) | n/a |');
  assert.equal(row(md, /^\| Cα \(/), '| Cα (28 matched) | 3.000 |');
});

test('stages of a chain of models: one row each, in order, after the size table', async () => {
  const { report } = await backmapStructure(cg, { model: 'template' });
  const stages: NonNullable<BackmapReport['stages']> = [
    { model: 'ucg-ca.onnx', takes: 'UCG', gives: 'C-alpha', seconds: 0.0421, beads: 7, atoms: 28 },
    { model: 'ca|aa.onnx', takes: 'C-alpha', gives: 'all-atom', seconds: 12.34, beads: 28, atoms: 1234 },
  ];
  const md = renderReport({ report: { ...report, stages } });
  const lines = md.split('\n');
  const head = lines.indexOf('## Stages');
  assert.ok(head > lines.indexOf('## Size'), 'the stages follow the size table');
  assert.deepEqual(lines.slice(head, head + 6), [
    '## Stages',
    '',
    '| stage | model | takes → gives | beads in | atoms out | time |',
    '|---:|---|---|---:|---:|---:|',
    '| 1 | ucg-ca.onnx | UCG → C-alpha | 7 | 28 | 42 ms |',
    '| 2 | ca\\|aa.onnx | C-alpha → all-atom | 28 | 1,234 | 12.3 s |',
  ]);
  assert.doesNotMatch(renderReport({ report: { ...report, stages: [] } }), /## Stages/);
});
