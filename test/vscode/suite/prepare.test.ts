// "Prepare for simulation…" (issue 30) through the real command and the user's real GROMACS: the demo protein
// backmapped with hydrogens and CHARMM names, minimised into <stem>.prepared/ with the energies returned; an existing
// folder refused when the caller says not to replace it; Cancel, which must stop gmx and write nothing. Skipped,
// saying why, where GROMACS is not installed (or this CPU lacks the RDTSCP instruction Debian's mdrun needs).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findGromacs } from '../../../src/core/prepare/engines';
import type { PrepareResult } from '../../../src/core/prepare/result';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { backmapStructure } from '../../../src/core/pipeline';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { EXT_ID, waitFor, wsRoot } from './util';

type Outcome = PrepareResult | { cancelled: true } | undefined;
const lastError = () => vscode.commands.executeCommand<{ command: string; message: string } | undefined>('backmapStudio.internal.lastError');

describe('prepare for simulation (issue 30)', function () {
  let dir: string;
  let input: string;

  before(async function () {
    await vscode.extensions.getExtension(EXT_ID)!.activate();
    const gmx = await findGromacs();
    if (!gmx.engine) {
      console.log(`prepare tests skipped: no GROMACS (${gmx.tried.map((t) => `${t.executable}: ${t.problem}`).join('; ')})`);
      this.skip();
    }
    dir = path.join(wsRoot(), 'prepare');
    fs.mkdirSync(dir, { recursive: true });
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const demo = parsePdb(fs.readFileSync(path.join(ext.extensionPath, 'examples', 'demo-protein.pdb'), 'utf8'), 'demo-protein.pdb');
    const cg = parsePdb(formatPdb(mapToCg(demo, loadMappingSet('martini3')).cg), 'demo-cg.pdb');
    const { structure } = await backmapStructure(cg, { model: 'template', hydrogens: true, names: 'charmm' });
    input = path.join(dir, 'demo-h.pdb');
    fs.writeFileSync(input, formatPdb(structure));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('minimises into <stem>.prepared/ and returns the energies', async function () {
    this.timeout(180000);
    const r = await vscode.commands.executeCommand<Outcome>('backmapStudio.prepareForSimulation', { input, engine: 'gromacs', threads: 2 });
    if (!r) {
      const err = await lastError();
      if (err && /RDTSCP/.test(err.message)) {
        console.log(`prepare tests skipped: ${err.message}`);
        return this.skip();
      }
      assert.fail(`no result: ${err?.message}`);
    }
    assert.ok(!('cancelled' in r));
    const out = path.join(dir, 'demo-h.prepared');
    assert.equal(r.folder, out);
    for (const f of ['minimised.pdb', 'topol.top', 'em.log', 'prepare.json', 'prepare.md']) assert.ok(fs.existsSync(path.join(out, f)), f);
    assert.equal(r.forceField, 'charmm27');
    assert.ok(r.energy.after.total < r.energy.before.total);
    assert.ok(r.heavyAtoms.rmsd < 0.5);
  });

  it('refuses the existing folder when told not to replace it', async () => {
    const r = await vscode.commands.executeCommand<Outcome>('backmapStudio.prepareForSimulation', { input, engine: 'gromacs', force: false });
    assert.equal(r, undefined);
    assert.match((await lastError())?.message ?? '', /output folder already exists/);
  });

  it('Cancel stops gmx and writes nothing', async function () {
    this.timeout(120000);
    const out = path.join(dir, 'cancelled.prepared');
    const run = vscode.commands.executeCommand<Outcome>('backmapStudio.prepareForSimulation', { input, out, engine: 'gromacs', threads: 1, emtol: 0.001, steps: 1000000 });
    // the minimisation is running once its scratch folder holds mdrun's log
    await waitFor(() => fs.readdirSync(dir).some((f) => f.startsWith('.cancelled.prepared.tmp-') && fs.existsSync(path.join(dir, f, 'em.log'))), 60000, 'mdrun running');
    assert.equal(await vscode.commands.executeCommand<boolean>('backmapStudio.internal.cancelPrepare'), true);
    assert.deepEqual(await run, { cancelled: true });
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.cancelled') || f.startsWith('cancelled')), []);
  });
});
