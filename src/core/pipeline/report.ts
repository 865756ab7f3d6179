/** Markdown report of a backmapping run (CLI `--report`, the extension's report beside each output). */
import { describeMatching } from '../residue-match';
import type { BackmapOutput, BackmapReport } from './options';

const fmt = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
/** Counts with thousands separators (1,203). */
const count = (n: number): string => Math.round(n).toLocaleString('en-US');
/** "12 of 1,203 bonds (1.0 %)"; "n/a" when nothing was checked. */
const outOf = (part: number | undefined, whole: number | undefined, what: string): string =>
  part === undefined || whole === undefined || !Number.isFinite(part) || !whole
    ? 'n/a'
    : `${count(part)} of ${count(whole)} ${what} (${((100 * part) / whole).toFixed(1)} %)`;
const ms = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`);
/** Wall time of a stage: ms below a second, else seconds. */
const seconds = (x: number): string => (!Number.isFinite(x) ? '–' : x < 1 ? ms(1000 * x) : `${x.toFixed(1)} s`);
const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

const STAGE_ORDER = ['parse', 'assign', 'model', 'graph', 'inference', 'rebuild', 'refine', 'metrics', 'write'];

/** Readable markdown with every number of the report; `maxResidues` bounds the per-residue RMSD table. */
export function renderReport(output: BackmapOutput | { report: BackmapReport }, opts: { maxResidues?: number } = {}): string {
  const r = output.report;
  const out: string[] = [];
  out.push(`# Backmapping report`, '');
  out.push(`- **Input:** ${r.input}`);
  out.push(`- **Model:** ${r.modelId}${r.modelId === 'template' ? ' (model-free template backmapper)' : ''}`);
  out.push(`- **Mapping set:** ${r.mappingId}`);
  out.push(`- **Execution provider:** ${r.provider}`);
  const traj = r.trajectory;
  if (traj) out.push(`- **Frames:** ${count(traj.frames)} in ${traj.seconds.toFixed(1)} s (geometry and accuracy below are the first frame's)`);
  if (r.modelNote) out.push(`- **Choice:** ${r.modelNote}`);
  const skipped = r.providerAttempts.filter((a) => !a.ok);
  for (const a of skipped) out.push(`- Provider ${a.device} not used: ${a.reason}`);
  out.push('');

  out.push('## Size', '', '| quantity | value |', '|---|---:|');
  out.push(`| CG particles in the input | ${r.counts.inputParticles} |`);
  out.push(`| beads backmapped | ${r.counts.beads} |`);
  out.push(`| residues | ${r.counts.residues} |`);
  out.push(`| atoms written | ${r.counts.atoms} |`);
  out.push(`| inference chunks | ${r.counts.chunks} |`, '');
  // Several backmappers (whole systems), or a model of the user's: which ran on what, and from which file.
  const models = r.models ?? [];
  if (models.length > 1 || models.some((m) => m.source === 'folder')) {
    out.push('## Models', '', '| model | from | mapping set | residues |', '|---|---|---|---:|');
    for (const m of models)
      out.push(`| ${esc(m.model)} | ${m.source === 'folder' ? esc(m.path ?? 'model folder') : m.source === 'template' ? 'model-free' : 'shipped'} | ${esc(m.mapping)} | ${count(m.residues)} |`);
    out.push('');
  }
  // A chain of models (UCG → Cα → all atoms): each stage with what it took and gave.
  if (r.stages?.length) {
    out.push('## Stages', '', '| stage | model | takes → gives | beads in | atoms out | time |', '|---:|---|---|---:|---:|---:|');
    r.stages.forEach((st, k) =>
      out.push(`| ${k + 1} | ${esc(st.model)} | ${esc(st.takes)} → ${esc(st.gives)} | ${count(st.beads)} | ${count(st.atoms)} | ${seconds(st.seconds)} |`),
    );
    out.push('');
  }
  if (r.molecules?.length) {
    out.push('## Molecules per class', '', '| class | in | out | counted |', '|---|---:|---:|---|');
    for (const m of r.molecules) out.push(`| ${m.kind} | ${m.in} | ${m.out} | ${esc(m.note ?? (m.kind === 'protein' ? 'chains' : m.kind === 'go-site' ? 'virtual sites (no atoms)' : 'molecules'))} |`);
    out.push('');
  }

  out.push(traj ? `## Time per stage (summed over ${count(traj.frames)} frames)` : '## Time per stage', '', '| stage | time |', '|---|---:|');
  const stages = [...STAGE_ORDER.filter((s) => s in r.timings), ...Object.keys(r.timings).filter((s) => !STAGE_ORDER.includes(s))];
  let total = 0;
  for (const s of stages) {
    out.push(`| ${s} | ${ms(r.timings[s])} |`);
    total += r.timings[s] ?? 0;
  }
  out.push(`| **total** | **${ms(total)}** |`);
  // heavy atoms (what the backmapper rebuilds), the hydrogens added after said beside them
  const hydrogens = r.hydrogens?.added ?? 0;
  const heavy = r.counts.atoms - hydrogens;
  const withH = hydrogens ? `, + ${count(hydrogens)} hydrogens` : '';
  if (traj && traj.seconds > 0 && heavy)
    // every frame's atoms over the whole run's wall time (reading, model, writing included)
    out.push('', `Throughput: ${(traj.frames / traj.seconds).toFixed(1)} frames/s, ${count((traj.frames * heavy) / traj.seconds)} heavy atoms/s over all ${count(traj.frames)} frames (${count(heavy)} heavy atoms each${withH}), end to end.`);
  else if (total > 0 && heavy) out.push('', `Throughput: ${count((heavy / total) * 1000)} heavy atoms/s end to end.`);
  out.push('');

  const scope = traj ? ' (first frame)' : '';
  out.push(`## Geometry${scope}`, '', '| check | value |', '|---|---:|');
  const th = r.bondAngle?.thresholds;
  const clashCut = r.clash ? ` (heavy atoms < ${r.clash.cutoff} Å apart)` : '';
  out.push(`| clashes${clashCut} | ${r.clash ? outOf(r.clash.clashingResidues, r.clash.residues, 'residues') : Number.isFinite(r.clashPercent) ? fmt(r.clashPercent) + ' % of residues' : 'n/a'} |`);
  const bare = (n: number) => (Number.isFinite(n) ? count(n) : 'n/a');
  out.push(`| bond-length outliers${th ? ` (> ${th.bondOutlier.toFixed(2)} Å from ideal)` : ''} | ${r.bondAngle ? outOf(r.bondAngle.bonds.outliers, r.bondAngle.bonds.n, 'bonds') : bare(r.bondOutliers)} |`);
  out.push(`| bond-angle outliers${th ? ` (> ${th.angleOutlier.toFixed(0)}° from ideal)` : ''} | ${r.bondAngle ? outOf(r.bondAngle.angles.outliers, r.bondAngle.angles.n, 'angles') : bare(r.angleOutliers)} |`);
  out.push(`| Ramachandran outliers | ${r.ramachandran ? outOf(r.ramachandran.outliers, r.ramachandran.total, 'residues with φ and ψ') : bare(r.ramachandranOutliers)} |`);
  out.push('');
  const en = r.refine.enabled;
  out.push(`Refinement${scope}: backbone ${en.backbone ? 'on' : 'off'}, side-chain geometry ${en.sidechains ? 'on' : 'off'}, clash relief ${en.clashes ? 'on' : 'off'}.`);
  if (r.refine.backbone)
    out.push(
      `Backbone: ${r.refine.backbone.iterations} steepest-descent steps, restraint energy ${fmt(r.refine.backbone.energyBefore, 1)} → ${fmt(r.refine.backbone.energyAfter, 1)}, N, C and ${r.refine.backbone.oxygens} carbonyl O tethered to the prediction (Cα fixed).`,
    );
  if (r.refine.sidechains)
    out.push(
      `Side chains: ${r.refine.sidechains.iterations} steepest-descent steps, restraint energy ${fmt(r.refine.sidechains.energyBefore, 1)} → ${fmt(r.refine.sidechains.energyAfter, 1)}, ${r.refine.sidechains.atomsMoved} atoms moved (max ${fmt(r.refine.sidechains.maxShift)} Å; CB and backbone fixed).`,
    );
  if (r.refine.clashes)
    out.push(
      `Clash relief: close non-bonded heavy-atom pairs ${r.refine.clashes.pairsBefore} → ${r.refine.clashes.pairsAfter}, ${r.refine.clashes.atomsMoved} atoms moved (max ${fmt(r.refine.clashes.maxShift)} Å)${r.refine.clashes.unresolvable ? `, ${r.refine.clashes.unresolvable} backbone–backbone pairs left (backbone is not moved)` : ''}.`,
    );
  out.push('');

  if (r.unknown.length) {
    out.push(`## Unknown residues and beads (${r.unknown.length}, skipped)`, '', '| location | residue | bead |', '|---|---|---|');
    for (const u of r.unknown.slice(0, 200))
      out.push(`| ${esc(u.file)}:${u.line} | ${esc(u.resName)} ${u.chainId ?? ''}${u.resSeq ?? ''} | ${u.bead ? esc(u.bead) : '(whole residue)'} |`);
    if (r.unknown.length > 200) out.push(`| … | ${r.unknown.length - 200} more | |`);
    out.push('');
  }

  if (r.rmsd) {
    const m = r.rmsd;
    out.push(`## Accuracy against the reference${scope}`, '');
    if (m.residueMatch) out.push(...describeMatching(m.residueMatch).map((l) => (l.startsWith('  ') ? `- ${l.trim()}` : `${l[0].toUpperCase()}${l.slice(1)}.`)), '');
    out.push('| subset | RMSD (Å) |', '|---|---:|');
    out.push(`| backbone | ${fmt(m.bb, 3)} |`, `| side chain | ${fmt(m.sc, 3)} |`, `| all heavy atoms | ${fmt(m.all, 3)} |`);
    const c = r.comparison;
    if (c) {
      out.push(`| Cα (${count(c.caMatched)} matched) | ${fmt(c.rmsdCa, 3)} |`);
      if (c.rmsdCaSuperposed !== undefined) out.push(`| Cα after superposition | ${fmt(c.rmsdCaSuperposed, 3)} |`);
    }
    out.push(`| matched atoms | ${m.matched} |`, '');
    if (c) {
      const rama = Number.isFinite(c.ramaAgreement) ? `${(100 * c.ramaAgreement).toFixed(1)} % of ${count(c.ramaResidues)} residues` : 'n/a';
      out.push('| measure | value |', '|---|---:|');
      out.push(`| bond-graph edit distance (normalised, 0 = same bonds) | ${fmt(c.gedNormalized, 4)} |`);
      out.push(`| Ramachandran agreement (same region: αR, β/PPII, αL, other) | ${rama} |`, '');
    }
    const max = opts.maxResidues ?? 2000;
    // By sequence: the model's own chain and number beside the reference's.
    const own = m.residueMatch?.method === 'sequence';
    out.push(
      '### RMSD per residue',
      '',
      `| chain | residue | name |${own ? ' model residue |' : ''} all (Å) | backbone (Å) | side chain (Å) |`,
      `|---|---:|---|${own ? '---|' : ''}---:|---:|---:|`,
    );
    for (const p of m.perResidue.slice(0, max)) {
      const mine = own ? ` ${p.model ? `${p.model.chainId || '-'} ${p.model.resSeq}${p.model.iCode}` : '–'} |` : '';
      out.push(`| ${p.chainId || '-'} | ${p.resSeq}${p.iCode} | ${p.resName} |${mine} ${fmt(p.rmsd, 3)} | ${fmt(p.rmsd_bb, 3)} | ${fmt(p.rmsd_sc, 3)} |`);
    }
    if (m.perResidue.length > max) out.push(`| … | | ${m.perResidue.length - max} more residues |${own ? ' |' : ''} | | |`);
    out.push('');
  }
  if (r.notes.length) {
    out.push('## Notes', '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}
