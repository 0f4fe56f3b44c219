import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The charting library's browser builds, inlined into report.html as script text. */
export interface ChartAssets {
  /** Chart.js UMD build (defines `window.Chart`). */
  chartJs: string;
  /** chartjs-plugin-annotation UMD build (defines `window['chartjs-plugin-annotation']`). */
  annotationJs: string;
}

const require = createRequire(import.meta.url);
let cached: ChartAssets | undefined;

/** The folder of a package's main entry (both packages keep their browser builds beside it). */
function distDir(name: string): string {
  return dirname(require.resolve(name));
}

/** Reads Chart.js and its annotation plugin from node_modules once per process. */
export function loadChartAssets(): ChartAssets {
  cached ??= {
    chartJs: readFileSync(join(distDir('chart.js'), 'chart.umd.min.js'), 'utf8'),
    annotationJs: readFileSync(
      join(distDir('chartjs-plugin-annotation'), 'chartjs-plugin-annotation.min.js'),
      'utf8',
    ),
  };
  return cached;
}
