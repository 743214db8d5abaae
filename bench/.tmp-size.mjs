import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const entry = process.argv[2] ?? 'sdk/src/index.ts';
const r = await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'neutral', target: 'es2022', external: ['ky'], write: false, metafile: true, logLevel: 'warning' });
const code = r.outputFiles[0].contents;
console.log('bytes', code.length, 'gzip', gzipSync(code, { level: 9 }).length);
for (const [f, v] of Object.entries(r.metafile.outputs)) for (const [i, b] of Object.entries(v.inputs)) console.log(b.bytesInOutput, i);
if (process.argv[3]) (await import('node:fs')).writeFileSync(process.argv[3], code);
