import { buildPeptide } from './peptide';
import type { Structure } from '../structure/types';

/**
 * The project's demo protein: a designed 58-residue three-helix bundle containing all 20 amino acids,
 * built from ideal geometry. Helices take φ/ψ = -62/-41; loop φ/ψ and χ1 were found by the seeded
 * annealing in examples/design-demo.ts (steric overlap + compactness + helix packing) and are fixed
 * here so that the example is reproducible bit for bit. Example data for the examples, benchmarks and
 * tests: the product itself does not use it.
 */
export const DEMO_SEQUENCE = 'DWEELAKKFIELAKQHGNPDYSTEVRKALEMLCKALGSPNAEEIRKLVEEALRWLQGK';
/** 0-based inclusive residue ranges of the three helices. */
export const DEMO_HELICES: [number, number][] = [[0, 15], [20, 35], [40, 55]];

/** φ, ψ, χ1 per residue (degrees) from examples/design-demo.ts (20000 iterations, seed 1). */
const PHI = [-62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -77, -123, -76, -73, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, 60, -69, -66, -111, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, -62, 104, -120];
const PSI = [-41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -66, 124, -41, -47, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, 28, 141, -23, 125, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -41, -188, 130];
const CHI1 = [-71, 184, -64, -67, -61, 0, 172, -62, 180, -64, -75, -71, 0, -61, 177, 175, 0, -63, 30, -59, -64, 72, -71, -71, 174, 188, 185, 0, -75, -72, -67, -74, -59, -69, 0, -68, 0, -59, 30, -60, 0, 57, 179, -71, -73, -66, -59, 183, -64, -72, 0, -62, -61, 185, -68, 178, 0, 180];

/** The demo protein (chain A, residues 1–58, heavy atoms + OXT). */
export function buildDemoProtein(): Structure {
  return buildPeptide(DEMO_SEQUENCE, {
    phi: PHI,
    psi: PSI,
    // χ1 from the design; χ2+ keep the builder's defaults
    chi: CHI1.map((c) => [c]),
    chainId: 'A',
    source: 'demo-protein',
  });
}
