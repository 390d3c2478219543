import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A static file served by the dashboard, held in memory. */
export interface DashboardAsset {
  /** Koa `ctx.type` value, a full media type: mime-db's mapping of `js` changed between versions (RFC 9239). */
  type: 'text/javascript' | 'text/css';
  body: string;
}

/** Asset file names as they appear under `/dashboard/assets/`. */
export type DashboardAssetName = 'uplot.js' | 'uplot.css' | 'dashboard.js';

/** Reads uPlot's browser build and the page script once, so requests never touch the disk. */
export function loadDashboardAssets(): Record<DashboardAssetName, DashboardAsset> {
  return {
    // The IIFE build defines `window.uPlot`, which a plain <script> tag needs; no bundler involved.
    'uplot.js': {
      type: 'text/javascript',
      body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    },
    'uplot.css': { type: 'text/css', body: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') },
    'dashboard.js': {
      type: 'text/javascript',
      body: readFileSync(path.join(__dirname, 'browser', 'dashboard-client.js'), 'utf8'),
    },
  };
}

/** Narrows a request path segment to a known asset name. */
export function isDashboardAssetName(
  name: string,
  assets: Record<DashboardAssetName, DashboardAsset>,
): name is DashboardAssetName {
  return Object.hasOwn(assets, name);
}
