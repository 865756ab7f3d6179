// Shared by the prepare tests (not a test file itself): the demo protein backmapped as a user would, and the engines.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { backmapStructure } from '../../../src/core/pipeline';
import type { ForceFieldNaming } from '../../../src/core/ffnames';

const DEMO = parsePdb(readFileSync('examples/demo-protein.pdb', 'utf8'), 'examples/demo-protein.pdb');

/** The demo protein mapped to Martini 3 and backmapped with hydrogens under `names`, written to `dir/name`. */
export async function backmappedDemo(dir: string, names: ForceFieldNaming = 'charmm', name = 'demo-bm.pdb'): Promise<string> {
  const cg = parsePdb(formatPdb(mapToCg(DEMO, loadMappingSet('martini3')).cg), 'demo-cg.pdb');
  const { structure } = await backmapStructure(cg, { model: 'auto', hydrogens: true, names });
  const path = join(dir, name);
  writeFileSync(path, formatPdb(structure));
  return path;
}

export const HAVE_GMX = spawnSync('gmx', ['--version'], { encoding: 'utf8' }).status === 0;
export const GMX_SKIP = HAVE_GMX ? false : 'gmx (GROMACS) is not installed: skipped (Debian: apt-get install gromacs)';

const om = spawnSync('/usr/bin/python3', ['-c', 'import openmm'], { encoding: 'utf8' });
export const HAVE_OPENMM = !om.error && om.status === 0;
export const OPENMM_SKIP = HAVE_OPENMM ? false : '/usr/bin/python3 has no openmm: skipped (Debian: apt-get install python3-openmm, or python3-simtk on Debian 12)';
