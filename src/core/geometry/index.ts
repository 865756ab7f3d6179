export * from './vec';
export * from './kabsch';
export * from './dihedral';
export * from './neighbors';
export * from './nerf';
export * from './pbc';
