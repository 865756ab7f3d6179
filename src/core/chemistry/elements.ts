/** Covalent radii (Å, Cordero et al. 2008) of the elements found in biomolecules, by upper-case symbol. */
export const COVALENT_RADIUS: Readonly<Record<string, number>> = {
  H: 0.31, C: 0.76, N: 0.71, O: 0.66, S: 1.05, P: 1.07, SE: 1.2, F: 0.57, CL: 1.02, BR: 1.2, I: 1.39,
  FE: 1.32, ZN: 1.22, MG: 1.41, CA: 1.76, NA: 1.66, K: 2.03, MN: 1.39, CU: 1.32, CO: 1.26, NI: 1.24,
};
