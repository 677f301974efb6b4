// Bundles the page's script (src/app.js, with @baton/client, polkadot.js and Chart.js) for
// browsers into dist/app.js. Run by the repository's setup.
import { build } from 'esbuild';

const started = Date.now();
const result = await build({
  entryPoints: [new URL('src/app.js', import.meta.url).pathname],
  outfile: new URL('dist/app.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`dashboard/dist/app.js: ${(bytes / 1e6).toFixed(1)} MB with its source map, in ${Date.now() - started} ms`);
