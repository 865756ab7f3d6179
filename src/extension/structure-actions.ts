// Commands on structure files: backmap (through the inference worker), backmap a trajectory, compare, view.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readStructureFile } from '../core/structure/read';
import { isUcgStructureFile } from '../core/ucg/map';
import { structureFormatOf, trajectoryFormatOf } from '../core/io/formats';
import { renderReport, type BackmapReport } from '../core/pipeline';
import { ComparePanel, chooseTopology, looksCoarseGrained, referenceRmsd, rmsdShortDefinition, rmsdDefinition, trajectoryComparison, TrajectoryFrames } from './compare';
import { offerChain } from './chain';
import { readSettings } from './config';
import { showComparison } from './comparison';
import { engine, engineSettings, progressReporter } from './engine';
import { log } from './log';
import { ReportStore } from './report';
import { STRUCTURE_FILTER, TRAJECTORY_FILTER, argUri, isStructurePath, isTrajectoryPath, outputBeside, pickFile, structureTarget } from './pick';


export interface BackmapCommandResult {
  output: string;
  report: string;
  model: string;
  provider: string;
  residues: number;
  atoms: number;
  seconds: number;
}

function summary(r: BackmapReport): string {
  // A chain's report counts the residues of its last ordinary stage (none when it ends in a C-alpha trace).
  const size = r.stages?.length ? `${r.counts.atoms} atoms` : `${r.counts.residues} residues, ${r.counts.atoms} atoms`;
  const bits = [size, r.modelId === 'template' ? 'template backmapper' : `${r.modelId} on ${r.provider}`];
  if (Number.isFinite(r.clashPercent)) bits.push(`clashes ${r.clashPercent.toFixed(1)} %`);
  return bits.join(' · ');
}

/**
 * "Backmap this PDB" (also GRO/mmCIF, .gz): result beside the input, comparison view, stored report. UCG beads are
 * offered the chain of models that takes them first (chain.ts); dismissing the offer runs nothing.
 */
export async function backmapCommand(ctx: vscode.ExtensionContext, reports: ReportStore, arg?: unknown): Promise<BackmapCommandResult | undefined> {
  const uri = await structureTarget(arg, 'CG structure to backmap');
  if (!uri) return undefined;
  const input = uri.fsPath;
  const settings = readSettings(uri);
  const chain = await offerChain(input, settings);
  if (chain === undefined) return undefined;
  const out = outputBeside(input, chain?.gives === 'ca' ? 'ca' : 'backmapped', structureFormatOf(input) ?? 'pdb');
  const t0 = Date.now();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Backmapping ${path.basename(input)}`, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        return await engine(ctx).backmapStructure({ path: input }, engineSettings(settings), {
          out,
          chain: chain?.models,
          onProgress: progressReporter(progress),
          onLog: (level, message) => (level === 'error' ? log().error(message) : level === 'warning' ? log().warn(message) : log().info(message)),
          signal: ac.signal,
        });
      } finally {
        sub.dispose();
      }
    },
  );
  const written = result.written ?? out;
  const seconds = (Date.now() - t0) / 1000;
  const r = result.output.report;
  log().info(`backmapped ${input} → ${written} in ${seconds.toFixed(2)} s: ${summary(r)}`);
  for (const n of r.notes) log().info(`note: ${n}`);
  const reportUri = await reports.save({ markdown: result.markdown, output: written, input, createdAt: new Date().toISOString() });
  // The comparison view is a convenience: a failure there must not hide the successful backmapping. It shows the
  // structures the worker read and made (the files are not read again).
  try {
    await showComparison(ctx, {
      cg: result.input, backmapped: result.output.structure,
      title: `${path.basename(written)} (from ${path.basename(input)})`, source: { cg: input, backmapped: written },
    });
  } catch (e) {
    log().error(`comparison view failed: ${e instanceof Error ? e.stack : e}`);
  }
  const msg = `Backmapped ${path.basename(input)} → ${path.basename(written)} (${summary(r)}, ${seconds.toFixed(1)} s)`;
  void (r.unknown.length ? vscode.window.showWarningMessage(`${msg}; ${r.unknown.length} unknown CG particles skipped`, 'Open', 'Show Report') : vscode.window.showInformationMessage(msg, 'Open', 'Show Report'))
    .then((c) => {
      if (c === 'Open') void vscode.window.showTextDocument(vscode.Uri.file(written), { preview: false });
      if (c === 'Show Report') void reports.show();
    });
  return { output: written, report: reportUri.fsPath, model: r.modelId, provider: r.provider, residues: r.counts.residues, atoms: r.counts.atoms, seconds };
}

/**
 * Candidate files (`fits`) in the folder of `near`, for a quick pick before the file dialog; `allowNone` adds an item
 * that answers null. Undefined when dismissed.
 */
export async function pickNear(near: string, fits: (file: string) => boolean, filters: Record<string, string[]>, title: string, allowNone?: string): Promise<string | null | undefined> {
  const dir = path.dirname(near);
  const found = fs.readdirSync(dir).filter((f) => fits(f) && path.join(dir, f) !== near).sort();
  const items: (vscode.QuickPickItem & { value: string | null })[] = found.map((f) => ({ label: f, description: dir, value: path.join(dir, f) }));
  if (allowNone) items.push({ label: allowNone, value: null });
  items.push({ label: '$(folder-opened) Browse…', value: '' });
  const c = await vscode.window.showQuickPick(items, { title });
  if (!c) return undefined;
  if (c.value === null) return null;
  return c.value || (await pickFile(title, filters))?.fsPath;
}

export interface TrajectoryCommandResult {
  output: string;
  topology?: string;
  frames: number;
  framesPerSecond: number;
  report: string;
}

/** "Backmap trajectory…": XTC/DCD/TRR (or a multi-model topology) + CG topology → all-atom trajectory beside it. */
export async function backmapTrajectoryCommand(ctx: vscode.ExtensionContext, reports: ReportStore, arg?: unknown, second?: unknown): Promise<TrajectoryCommandResult | undefined> {
  const a = argUri(arg)?.fsPath;
  const b = argUri(second)?.fsPath;
  let trajectory: string | undefined;
  let topology: string | undefined;
  if (a && isTrajectoryPath(a)) trajectory = a;
  else if (a && isStructurePath(a)) topology = a;
  if (b && isTrajectoryPath(b)) trajectory = b;
  else if (b && isStructurePath(b)) topology = b;
  if (!a && !b) {
    trajectory = (await pickFile('CG trajectory (XTC, DCD, TRR)', TRAJECTORY_FILTER))?.fsPath;
    if (!trajectory) return undefined;
  }
  if (!topology) {
    const t = await pickNear(trajectory!, isStructurePath, STRUCTURE_FILTER, 'CG topology (structure with the same particles)');
    if (!t) return undefined;
    topology = t;
  } else if (!trajectory && !b) {
    const t = await pickNear(topology, isTrajectoryPath, TRAJECTORY_FILTER, 'CG trajectory', 'No trajectory: backmap the models of the topology');
    if (t === undefined) return undefined;
    trajectory = t ?? undefined;
  }
  const settings = readSettings(vscode.Uri.file(topology));
  // UCG beads: the chain of models is offered first; its frames are written as one multi-model PDB.
  const chain = await offerChain(topology, settings);
  if (chain === undefined) return undefined;
  const base = trajectory ?? topology;
  // A chain writes structures (also when a UCG model is set, and the worker runs it without an offer).
  const ext = trajectory && !chain && !isUcgStructureFile(topology) ? (trajectoryFormatOf(trajectory) ?? 'xtc') : 'pdb';
  const out = outputBeside(base, chain?.gives === 'ca' ? 'ca' : 'backmapped', ext);
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Backmapping trajectory ${path.basename(base)}`, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        return await engine(ctx).backmapTrajectory(
          { topology: topology!, trajectory, out, settings: engineSettings(settings), keepFrames: true, chain: chain?.models, solvent: settings.trajectorySolvent },
          { onProgress: progressReporter(progress), onLog: (_l, m) => log().info(m), signal: ac.signal },
        );
      } finally {
        sub.dispose();
      }
    },
  );
  log().info(`trajectory ${base} → ${r.out}: ${r.frames} frames, ${r.framesPerSecond.toFixed(2)} frames/s`);
  const markdown = `${renderReport({ report: r.report })}\n\n## Output\n\n- **Trajectory:** ${r.out}${r.topologyOut ? `\n- **All-atom topology:** ${r.topologyOut}` : ''}\n`;
  const reportUri = await reports.save({ markdown, output: r.out, input: base, createdAt: new Date().toISOString() });
  const aaTop = r.topologyOut ?? (ext === 'pdb' ? r.out : undefined);
  if (aaTop) {
    try {
      // The worker's CG topology and first backmapped frame are the topologies; a binary output (and the CG
      // trajectory) is read frame by frame when the view asks, never whole. A multi-model PDB output comes
      // back with every frame as its models (keepFrames). The view gets a column of its own (the active group).
      const title = `${path.basename(r.out)} (${r.frames} frames, from ${path.basename(base)})`;
      if (r.topologyOut) {
        const frames = new TrajectoryFrames({
          ...(trajectory ? { cg: { topology: r.topology, trajectory } } : {}),
          backmapped: { topology: r.firstFrame, trajectory: r.out },
        });
        await showComparison(ctx, {
          cg: r.topology, backmapped: r.firstFrame, trajectory: frames, title,
          source: { cg: topology, backmapped: aaTop, backmappedTrajectory: r.out, ...(trajectory ? { cgTrajectory: trajectory } : {}) },
        }, vscode.ViewColumn.Active);
      } else {
        await showComparison(ctx, { cg: r.topology, backmapped: r.firstFrame, title, source: { cg: topology, backmapped: aaTop } }, vscode.ViewColumn.Active);
      }
    } catch (e) {
      log().error(`comparison view failed: ${e instanceof Error ? e.stack : e}`);
    }
  }
  void vscode.window.showInformationMessage(`Backmapped ${r.frames} frames → ${path.basename(r.out)} (${r.framesPerSecond.toFixed(1)} frames/s)`, 'Show Report')
    .then((c) => c && reports.show());
  return { output: r.out, topology: r.topologyOut, frames: r.frames, framesPerSecond: r.framesPerSecond, report: reportUri.fsPath };
}

export { looksCoarseGrained };

/** "Compare with reference…": a structure (backmapped or any all-atom model) against an all-atom reference. */
export async function compareWithReferenceCommand(ctx: vscode.ExtensionContext, arg?: unknown, refArg?: unknown): Promise<{ rmsd_bb: number; rmsd_sc: number; rmsd_all: number; matched: number } | undefined> {
  const uri = await structureTarget(arg, 'Structure to compare (backmapped)');
  if (!uri) return undefined;
  // Two files selected in the Explorer: the other one is the reference.
  const other = Array.isArray(refArg) && refArg.length === 2 ? (refArg as unknown[]).map(argUri).find((u) => u && u.fsPath !== uri.fsPath) : undefined;
  const ref = (other ?? argUri(refArg))?.fsPath ?? (await pickFile('All-atom reference structure', STRUCTURE_FILTER))?.fsPath;
  if (!ref) return undefined;
  const model = readStructureFile(uri.fsPath);
  const reference = readStructureFile(ref);
  const cg = looksCoarseGrained(model);
  // The same definition as the view's header and the backmapping report (compare/payload.ts referenceRmsd).
  const c = cg ? undefined : referenceRmsd(model, reference);
  const cur = ComparePanel.current;
  const shownFile = cur?.shown.source?.[cg ? 'cg' : 'backmapped'];
  if (cur && shownFile && path.resolve(shownFile) === path.resolve(uri.fsPath)) {
    // The view already shows this file (e.g. right after backmapping, with its CG beads): add the reference
    // to it, so the CG layer stays visible together with the reference.
    cur.panel.reveal(cur.panel.viewColumn, true);
    await cur.addReference(ref);
  } else {
    await showComparison(ctx, {
      ...(cg ? { cg: model } : { backmapped: model }), reference,
      title: `${path.basename(uri.fsPath)} vs ${path.basename(ref)}`, source: { [cg ? 'cg' : 'backmapped']: uri.fsPath, reference: ref },
    });
  }
  if (!c) return undefined;
  const f = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} Å` : 'n/a');
  log().info(`compare ${uri.fsPath} vs ${ref}: bb ${f(c.rmsd_bb)}, sc ${f(c.rmsd_sc)}, all ${f(c.rmsd_all)}. ${rmsdDefinition(c)}`);
  void vscode.window.showInformationMessage(`RMSD vs ${path.basename(ref)}: backbone ${f(c.rmsd_bb)}, side chains ${f(c.rmsd_sc)}, all ${f(c.rmsd_all)} (${c.matched} atoms; ${rmsdShortDefinition(c)})`);
  return { rmsd_bb: c.rmsd_bb, rmsd_sc: c.rmsd_sc, rmsd_all: c.rmsd_all, matched: c.matched };
}

/**
 * "Open in comparison view" for any structure file (CG files become the bead layer) or trajectory (XTC, DCD, TRR:
 * its topology is asked for, the same-stem structure beside it first; a structure selected with it is taken).
 */
export async function openComparisonCommand(ctx: vscode.ExtensionContext, arg?: unknown, second?: unknown): Promise<{ layer: 'cg' | 'backmapped'; atoms: number; frames?: number } | undefined> {
  const uri = argUri(arg) ?? (await structureTarget(undefined, 'Structure or trajectory to view', { ...STRUCTURE_FILTER, ...TRAJECTORY_FILTER }));
  if (!uri) return undefined;
  if (isTrajectoryPath(uri.fsPath)) {
    // Explorer multi-selection (trajectory + structure) passes the selection; a test or caller passes the topology.
    const others = Array.isArray(second) ? (second as unknown[]).map(argUri) : [argUri(second)];
    const topology = others.find((u) => u && isStructurePath(u.fsPath))?.fsPath ?? (await chooseTopology(uri.fsPath));
    if (!topology) return undefined;
    const input = trajectoryComparison(uri.fsPath, topology);
    await showComparison(ctx, input, vscode.ViewColumn.Active);
    return { layer: input.layer, atoms: input[input.layer]!.atoms.count, frames: input.trajectory!.count };
  }
  const s = readStructureFile(uri.fsPath);
  const layer = looksCoarseGrained(s) ? 'cg' : 'backmapped';
  await showComparison(ctx, { [layer]: s, title: path.basename(uri.fsPath), source: { [layer]: uri.fsPath } });
  return { layer, atoms: s.atoms.count };
}
