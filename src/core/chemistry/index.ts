/** The chemistry table: the molecules the engine knows (amino acids, lipids, sterols, water and ions), their variants, bonds and ideal geometry. */
export * from './amino-acids';
export * from './variants';
export * from './bonds';
export * from './elements';
export * from './ideal';
export * from './peptide';
export * from './demo-protein';
export * from './lipids';
export * from './molecules';
export * from './solvent';
