// Colour scales shared by the 3D themes and the SVG plots, so a residue looks the same everywhere.

/** Deviation scale stops (fraction of the max, RGB): blue (good) → pale yellow → red (bad). */
const STOPS: [number, [number, number, number]][] = [
  [0, [44, 123, 182]],
  [0.33, [171, 217, 233]],
  [0.5, [255, 255, 191]],
  [0.75, [253, 174, 97]],
  [1, [215, 25, 28]],
];

/** Per-residue RMSD (Å) → RGB; `null`/NaN (no match in the reference) → neutral grey. */
export function deviationRgb(rmsd: number | null | undefined, max: number): [number, number, number] {
  if (rmsd === null || rmsd === undefined || !Number.isFinite(rmsd)) return [150, 150, 150];
  const f = Math.max(0, Math.min(1, rmsd / max));
  for (let i = 1; i < STOPS.length; i++) {
    const [f1, c1] = STOPS[i];
    if (f <= f1) {
      const [f0, c0] = STOPS[i - 1];
      const u = (f - f0) / (f1 - f0);
      return [0, 1, 2].map((k) => Math.round(c0[k] + u * (c1[k] - c0[k]))) as [number, number, number];
    }
  }
  return STOPS[STOPS.length - 1][1];
}

export const rgbHex = ([r, g, b]: [number, number, number]): number => (r << 16) | (g << 8) | b;
export const rgbCss = ([r, g, b]: [number, number, number]): string => `rgb(${r},${g},${b})`;

/** CSS gradient for the legend, same stops as `deviationRgb`. */
export function deviationGradientCss(): string {
  return `linear-gradient(to right, ${STOPS.map(([f, c]) => `${rgbCss(c)} ${Math.round(f * 100)}%`).join(', ')})`;
}

/** CG bead colours by bead name: backbone bead vs side-chain beads SC1…SC4 (Martini), CA-only treated as BB. */
export const BEAD_COLOURS: Record<string, number> = {
  BB: 0xf2a93b,
  SC1: 0x26a69a,
  SC2: 0x42a5f5,
  SC3: 0x7e57c2,
  SC4: 0xec407a,
  SC5: 0x8d6e63,
  OTHER: 0x9e9e9e,
};
export const isBackboneBead = (name: string): boolean => name === 'BB' || name === 'CA' || name === 'B';
export function beadColour(name: string): number {
  if (isBackboneBead(name)) return BEAD_COLOURS.BB;
  return BEAD_COLOURS[name] ?? BEAD_COLOURS.OTHER;
}
export const REFERENCE_COLOUR = 0xa0a4aa;
export const hexCss = (c: number): string => `#${c.toString(16).padStart(6, '0')}`;
