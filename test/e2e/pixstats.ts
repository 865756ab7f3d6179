// Pixel statistics of a screenshot (pngjs): how much of a region differs from its top-left colour, and how many
// distinct colours (5 bits per channel) it holds. A blank or failed WebGL canvas scores ~0 on both.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';

export interface PixStats { size: [number, number]; nonBackgroundFraction: number; distinctColours: number; background: number[] }

export function pixstats(file: string, rect?: [number, number, number, number]): PixStats {
  const png = PNG.sync.read(readFileSync(file));
  const [x0, y0, w, h] = rect ?? [0, 0, png.width, png.height];
  const at = (x: number, y: number) => (y * png.width + x) * 4;
  const bg = [png.data[at(x0, y0)], png.data[at(x0, y0) + 1], png.data[at(x0, y0) + 2]];
  let diff = 0;
  let n = 0;
  const colours = new Set<number>();
  for (let y = y0; y < Math.min(y0 + h, png.height); y++) {
    for (let x = x0; x < Math.min(x0 + w, png.width); x++) {
      const i = at(x, y);
      const r = png.data[i], g = png.data[i + 1], b = png.data[i + 2];
      n++;
      colours.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
      if (Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(b - bg[2]) > 30) diff++;
    }
  }
  return { size: [png.width, png.height], nonBackgroundFraction: n ? diff / n : 0, distinctColours: colours.size, background: bg };
}
