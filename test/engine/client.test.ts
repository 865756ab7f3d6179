import { test, after } from 'node:test';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../src/core/build/peptide';
import { loadMappingSet } from '../../src/core/mapping/load';
import { mapToCg } from '../../src/core/forward';
import { formatPdb } from '../../src/core/structure/pdb';
import { InputError } from '../../src/core/errors';
import { backmapStructure } from '../../src/engine/pipeline';
import { EngineClient, CancelledError, WorkerCrashError } from '../../src/engine/client';

const client = new EngineClient();
after(() => client.dispose());

const alive = (pid: number | null): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitDead = async (pid: number) => {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
};

function cgPeptide(seq: string) {
  const aa = buildPeptide(seq, { phi: -65, psi: -40, chainId: 'A' });
  const cg = mapToCg(aa, loadMappingSet('martini3')).cg;
  return { aa, cg };
}

test('a backmap through the worker returns the same structure as in-process', async () => {
  const { aa, cg } = cgPeptide('MKTAYIAKQRQISFVKSHFSRQ');
  const settings = { model: 'template', mapping: 'martini3', refine: true } as const;
  const stages: string[] = [];
  const viaWorker = await client.backmapStructure({ text: formatPdb(cg), source: 'cg.pdb', format: 'pdb' }, settings, {
    reference: { structure: aa },
    onProgress: (stage) => stages.push(stage),
  });
  const local = await backmapStructure(cg, { ...settings, reference: aa });
  const w = viaWorker.output.structure;
  assert.equal(w.atoms.count, local.structure.atoms.count);
  assert.deepEqual(w.atoms.name, local.structure.atoms.name);
  assert.deepEqual(w.atoms.resSeq, local.structure.atoms.resSeq);
  // formatPdb rounds the input to 0.001 Å, so compare within that; the structure form is exact (below).
  let maxDiff = 0;
  for (let i = 0; i < w.coords.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w.coords[i] - local.structure.coords[i]));
  assert.ok(maxDiff < 0.02, `max coordinate difference ${maxDiff}`);
  assert.ok(stages.includes('inference') && stages.includes('refine'), `progress stages: ${stages.join(',')}`);
  assert.match(viaWorker.markdown, /# Backmapping report/);
  assert.ok(viaWorker.output.report.rmsd && viaWorker.output.report.rmsd.perResidue.length === 22);

  const exact = await client.backmapStructure({ structure: cg }, settings);
  assert.deepEqual(Array.from(exact.output.structure.coords), Array.from(local.structure.coords), 'bit-identical coordinates');
});

test('cancel mid-run kills the worker and rejects with a cancellation error; the next request works', async () => {
  const { cg } = cgPeptide('MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWSTPSELGHAGLNGDILVWNPVLEDAFELSSMGIRVDADTLKHQLALTGDEDRLELEWHQALLRGEMPQTIGGGIGQSRLTMLLLQLPHIGQVQAGVWPAAVRESVPALL');
  const before = client.starts;
  await client.debug('pid'); // make sure a worker is up
  const pid = client.pid!;
  const ac = new AbortController();
  const run = client.backmapStructure({ structure: cg }, { model: 'template', mapping: 'martini3', refine: true }, {
    signal: ac.signal,
    onProgress: (stage) => {
      if (stage === 'inference' || stage === 'rebuild' || stage === 'refine') ac.abort();
    },
  });
  await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
  assert.ok(await waitDead(pid), 'the worker process was killed');
  const next = await client.debug('pid');
  assert.notEqual(next.pid, pid, 'a fresh worker answers the next request');
  assert.equal(client.starts, before + 1);
});

test('a worker exit or native abort is reported as an error and the next request works', async () => {
  // Its own client with the worker in the temp dir, so a core dump (where enabled) never lands in the repo.
  const client = new EngineClient({ cwd: tmpdir() });
  after(() => client.dispose());
  await assert.rejects(client.debug('exit', 3), (e: unknown) => {
    assert.ok(e instanceof WorkerCrashError);
    assert.equal(e.code, 3);
    assert.match(e.message, /exited with code 3/);
    return true;
  });
  await assert.rejects(client.debug('abort'), (e: unknown) => {
    assert.ok(e instanceof WorkerCrashError);
    assert.equal(e.signal, 'SIGABRT');
    return true;
  });
  const { cg } = cgPeptide('ACDEFGHIK');
  const r = await client.backmapStructure({ structure: cg }, { model: 'template', mapping: 'martini3' });
  assert.ok(r.output.structure.atoms.count > 60);
});

test('input errors from the worker keep their file and line', async () => {
  const bad = 'ATOM      1  BB  ALA A   1      1.000   2.000   3.000  1.00  0.00\nATOM      2  BB  ALA A   2      nan     2.000   3.000  1.00  0.00\n';
  await assert.rejects(client.backmapStructure({ text: bad, source: 'bad.pdb', format: 'pdb' }, { model: 'template', mapping: 'martini3' }), (e: unknown) => {
    assert.ok(e instanceof InputError, `got ${String(e)}`);
    assert.equal(e.file, 'bad.pdb');
    assert.equal(e.line, 2);
    return true;
  });
  // A request queued behind a failing one still runs.
  const { cg } = cgPeptide('GAV');
  const r = await client.backmapStructure({ structure: cg }, { model: 'template', mapping: 'martini3' });
  assert.ok(r.output.structure.atoms.count > 10);
});
