import type { PNG } from 'pngjs';
import { MASK_COLOR } from '../canaries/mask-secrets.ts';

/** A box on the page, in CSS pixels (device scale 1), as Playwright's `boundingBox()` gives it. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const [maskR, maskG, maskB] = [1, 3, 5].map((i) => Number.parseInt(MASK_COLOR.slice(i, i + 2), 16));

/**
 * Pixels inside `box` (inset by 2 px against anti-aliased edges): how many there are, how many have
 * the mask colour, and how many are dark (text). Test helper for the screenshot-masking tests.
 */
export function maskPixels(png: PNG, box: Box): { mask: number; total: number; dark: number } {
  let mask = 0;
  let total = 0;
  let dark = 0;
  for (let y = Math.ceil(box.y + 2); y < Math.floor(box.y + box.height - 2); y++) {
    for (let x = Math.ceil(box.x + 2); x < Math.floor(box.x + box.width - 2); x++) {
      const i = (png.width * y + x) * 4;
      const [r, g, b] = [png.data[i] ?? -1, png.data[i + 1] ?? -1, png.data[i + 2] ?? -1];
      total += 1;
      if (r === maskR && g === maskG && b === maskB) mask += 1;
      if (r < 100 && g < 100 && b < 100) dark += 1;
    }
  }
  return { mask, total, dark };
}
