/**
 * Writes the bundled examples that the project makes itself (never copied from ../shared):
 *   examples/demo-protein.pdb — the designed three-helix bundle of src/core/chemistry/demo-protein.ts, ideal
 *   geometry, heavy atoms + OXT, all 20 amino acids.
 *
 *   node --import tsx examples/make-examples.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDemoProtein } from '../src/core/chemistry/demo-protein';
import { formatPdb } from '../src/core/structure/write';

const out = join(__dirname, 'demo-protein.pdb');
const s = buildDemoProtein();
s.title = 'BACKMAP STUDIO DEMO PROTEIN, DESIGNED 3-HELIX BUNDLE, IDEAL GEOMETRY';
writeFileSync(out, formatPdb(s));
console.log(`wrote ${out} (${s.atoms.count} atoms)`);
