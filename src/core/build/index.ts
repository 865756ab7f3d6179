export * from './residues';
export * from './peptide';
export * from './ideal';
export * from './demo';
export { placeAtom, placeCb } from './nerf';
