// Fixture constants shared by make-fixtures.ts and the tests that check against them.

/** All 20 amino acids, so every residue mapping of the set is exercised. */
export const FIXTURE_SEQUENCE = 'ACDEFGHIKLMNPQRSTVWY';

/** Defects with known codes: E6 (bead listed twice), E7 (x/0 fraction), W8 (unknown token). */
export const BAD_MAPPING = `molecule: ALA
atoms:
  N:   BB     P2AA
  CA:  BB,BB  P1A,P1B
  C:   BB     P2AB
  O:   BB     P3BA
  CB:  SC1    P1A 1/0
  OXT: BB     P3BB junk
`;

/** Frames of the CG trajectory fixture `cg.xtc` (topology `cg.pdb`). */
export const TRAJECTORY_FRAMES = 3;
