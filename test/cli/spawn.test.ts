/**
 * Real processes: exit codes as a shell sees them, from the TypeScript entry (through tsx) and from the esbuild
 * bundle (built here with the same options as esbuild.mjs into out/, run from a foreign cwd, so the bundled
 * mapping sets and the models folder must be found from the bundle's own location). Plus the internal-error
 * path (exit 2) in-process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cli, DEMO, existsSync, noCrash, ROOT, sha, tempDir } from './helpers';
import { commands } from '../../src/cli/commands';

const t = tempDir('spawn');
const p = (n: string) => join(t.dir, n);
let bundleDir = '';
const bundle = () => join(bundleDir, 'cli.js');

before(async () => {
  const esbuild = await import('esbuild');
  // Inside the repository (out/ is ignored), like dist/: the resolvers walk up to package.json + mappings/.
  mkdirSync(join(ROOT, 'out'), { recursive: true }); // out/ is git-ignored: absent on a fresh clone
  bundleDir = mkdtempSync(join(ROOT, 'out', 'cli-bundle-'));
  await esbuild.build({
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'onnxruntime-node'], logLevel: 'warning',
    legalComments: 'none', entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')], outfile: bundle(), banner: { js: '#!/usr/bin/env node' },
  });
});
after(() => {
  t.cleanup();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

const run = (entry: 'tsx' | 'bundle', args: string[]) => {
  const argv = entry === 'tsx' ? ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args] : [bundle(), ...args];
  // A foreign working directory: nothing may depend on being started in the repository.
  const cwd = entry === 'tsx' ? ROOT : tmpdir();
  const r = spawnSync(process.execPath, argv, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};

test('tsx entry: --help exit 0, unknown command exit 1, bad input exit 1 with file:line and no stack', () => {
  const h = run('tsx', ['--help']);
  assert.equal(h.code, 0, h.err);
  assert.match(h.out, /Usage:/);
  assert.equal(run('tsx', ['nonsense']).code, 1);
  writeFileSync(p('empty.pdb'), '');
  const b = run('tsx', ['backmap', p('empty.pdb'), '-o', p('o.pdb')]);
  assert.equal(b.code, 1);
  assert.match(b.err, /empty\.pdb:1: file is empty/);
  assert.ok(noCrash(b), b.err);
});

test('bundle: --help, models, and map → backmap → evaluate from a foreign cwd with the bundled mapping sets', () => {
  const h = run('bundle', ['--help']);
  assert.equal(h.code, 0, h.err);
  assert.match(h.out, /backmap map <all-atom>/);
  const v = run('bundle', ['--version']);
  assert.equal(v.code, 0);
  const mo = run('bundle', ['models', '--json']);
  assert.equal(mo.code, 0, mo.err);
  assert.ok(Array.isArray(JSON.parse(mo.out)));
  const demoHash = sha(DEMO);
  const m = run('bundle', ['map', DEMO, '--mapping', 'martini3', '-o', p('cg.pdb')]);
  assert.equal(m.code, 0, m.err);
  const c = run('bundle', ['map', DEMO, '--mapping', 'ca', '-o', p('ca.pdb')]);
  assert.equal(c.code, 0, c.err);
  const b = run('bundle', ['backmap', p('cg.pdb'), '-o', p('aa.pdb')]);
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /backmapped 58 residues/);
  const e = run('bundle', ['evaluate', p('aa.pdb'), DEMO, '--json']);
  assert.equal(e.code, 0, e.err);
  const j = JSON.parse(e.out) as Record<string, number>;
  for (const k of ['rmsd_bb', 'rmsd_sc', 'rmsd_all', 'clash_pct']) assert.equal(typeof j[k], 'number');
  assert.ok(j.rmsd_bb < 1.5);
  const vd = run('bundle', ['validate', join(ROOT, 'mappings', 'martini3'), '--json']);
  assert.equal(vd.code, 0, vd.err);
  // Exit codes of the bundle for bad input and refusals.
  const same = run('bundle', ['backmap', p('cg.pdb'), '-o', p('cg.pdb'), '--force']);
  assert.equal(same.code, 1);
  assert.match(same.err, /refusing to overwrite an input file/);
  const exists = run('bundle', ['backmap', p('cg.pdb'), '-o', p('aa.pdb')]);
  assert.equal(exists.code, 1);
  assert.match(exists.err, /already exists/);
  assert.equal(run('bundle', ['--bogus']).code, 1);
  assert.equal(sha(DEMO), demoHash);
  assert.ok(existsSync(p('aa.pdb')));
});

test('an internal error exits 2 and says so (in-process)', async () => {
  commands.__boom = async () => {
    throw new TypeError('simulated bug');
  };
  try {
    const r = await cli('__boom');
    assert.equal(r.code, 2);
    assert.match(r.err, /internal error: TypeError: simulated bug/);
  } finally {
    delete commands.__boom;
  }
});

test('file-system refusals (output folder missing) are bad input, exit 1 naming the path', async () => {
  const r = await cli('map', DEMO, '--mapping', 'martini3', '-o', p('no/such/dir/cg.pdb'));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /no\/such\/dir\/cg\.pdb/);
  assert.ok(noCrash(r), r.err);
});
