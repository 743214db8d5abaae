/**
 * Middy with its schemas compiled at build time, as its docs recommend: an esbuild plugin that
 * builds `middy.ts` with `middy-validators.ts` replaced by the same event schemas compiled to
 * standalone code. It does what `ajv-cmd transpile` (the tool middy's docs name) does: the Ajv
 * instance `@middy/validator/transpile` makes (its Ajv, its plugins, its default options), and
 * Ajv's standalone code generator. ajv-cmd itself needs Node 24; the bench runs on Node 20.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options } from 'ajv';
import type { Plugin } from 'esbuild';
import { AJV_OPTIONS, eventSchemas } from './middy-schemas.js';

/** `@middy/validator/transpile`'s defaults, which `transpileSchema` applies under its options. */
const MIDDY_AJV_DEFAULTS = {
  strict: true,
  coerceTypes: 'array',
  allErrors: true,
  useDefaults: 'empty',
  messages: true,
} as const;

/** esbuild plugin: `middy-validators.ts` is the standalone code of the same validators. */
export function middyCompiledValidators(): Plugin {
  const validatorEntry = fileURLToPath(import.meta.resolve('@middy/validator'));
  return {
    name: 'middy-compiled-validators',
    setup(build) {
      build.onLoad({ filter: /[\\/]middy-validators\.ts$/ }, () => ({
        contents: standaloneValidators(validatorEntry),
        loader: 'js',
        // The generated code requires Ajv's run-time helpers: middy's copy of Ajv.
        resolveDir: dirname(validatorEntry),
      }));
    },
  };
}

/** One ES module exporting `validators`, by operation id, as `middy-validators.ts` does. */
function standaloneValidators(validatorEntry: string): string {
  // Middy's own Ajv and plugins, whichever copies it resolves.
  const require = createRequire(validatorEntry);
  type AjvInstance = import('ajv').default;
  const Ajv = require('ajv/dist/2020.js').default as new (options: Options) => AjvInstance;
  const standaloneCode = require('ajv/dist/standalone/index.js').default as (
    ajv: AjvInstance,
    refs: Record<string, string>,
  ) => string;
  const ajv = new Ajv({
    ...MIDDY_AJV_DEFAULTS,
    ...AJV_OPTIONS,
    keywords: [],
    code: { source: true, esm: true },
  });
  require('ajv-formats').default(ajv);
  require('@silverbucket/ajv-formats-draft2019').default(ajv);
  require('ajv-keywords').default(ajv);
  require('ajv-errors').default(ajv);
  const ids = Object.keys(eventSchemas);
  for (const id of ids) ajv.addSchema(eventSchemas[id as keyof typeof eventSchemas], id);
  const code = standaloneCode(ajv, Object.fromEntries(ids.map((id) => [id, id])));
  return `${code}\nexport const validators = { ${ids.join(', ')} };\n`;
}
