// Bundles every entry point into dist/. `--watch` rebuilds on change, `--production` minifies.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Node-side bundles share one config; native and editor-provided modules stay external. */
const node = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production, minify: production,
  external: ['vscode', 'onnxruntime-node'], logLevel: 'info', legalComments: 'none',
};
const entries = [
  { ...node, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js' },
  { ...node, entryPoints: ['src/engine/worker.ts'], outfile: 'dist/worker.js' },
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  {
    bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: !production, minify: true,
    entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', logLevel: 'info', legalComments: 'none',
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl' },
    define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"', __MOLSTAR_DEBUG_TIMESTAMP__: '0' },
  },
];

mkdirSync('dist', { recursive: true });
// `backmap prepare --engine openmm` runs this script with the user's Python; the bundles look for it beside themselves.
copyFileSync('src/core/prepare/openmm_minimise.py', 'dist/openmm_minimise.py');
// Entry points are added as the product grows; a missing one is reported, not fatal, so partial trees build.
const present = entries.filter((e) => {
  const ok = existsSync(e.entryPoints[0]);
  if (!ok) console.warn(`esbuild: skipping ${e.entryPoints[0]} (not present)`);
  return ok;
});
if (watch) {
  for (const e of present) await (await esbuild.context(e)).watch();
} else {
  await Promise.all(present.map((e) => esbuild.build(e)));
  await compileMappingSets();
}

/**
 * dist/mapping-sets/<id>.json: every bundled mapping set parsed once at build time (src/core/mapping/compiled.ts), so
 * a one-off run reads JSON instead of ~40 YAML files; the loader checks it against the files and parses when stale.
 */
async function compileMappingSets() {
  const outfile = 'dist/.compile-mappings.cjs';
  await esbuild.build({ ...node, entryPoints: ['scripts/compile-mappings.ts'], outfile, sourcemap: false, logLevel: 'warning' });
  try {
    execFileSync(process.execPath, [outfile, 'dist/mapping-sets'], { stdio: 'inherit' });
  } finally {
    rmSync(outfile, { force: true });
  }
}
