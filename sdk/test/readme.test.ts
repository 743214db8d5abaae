/**
 * The examples in sdk/README.md (the npm page) and in the SDK section of the root README.md
 * compile: each ```ts block is type-checked as its own ES module, with the strict settings of
 * this repository, against the SDK's source.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SDK = fileURLToPath(new URL('../', import.meta.url));
const tsBlocks = (markdown: string) =>
  [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
const blocks = tsBlocks(readFileSync(`${SDK}README.md`, 'utf8'));
const rootReadme = readFileSync(`${SDK}../README.md`, 'utf8');
const sdkSection = /^## SDK\n([\s\S]*?)^## /m.exec(rootReadme)?.[1] ?? '';
const rootBlocks = tsBlocks(sdkSection);

/** Type-checks `sources` (file name → text, as files in sdk/test) and returns the diagnostics. */
function typeCheck(sources: ReadonlyMap<string, string>): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: true,
    noEmit: true,
    // As installed: the package name, resolved to its source.
    paths: {
      '@dynamo-crud/sdk': [`${SDK}src/index.ts`],
      '@dynamo-crud/sdk/sigv4': [`${SDK}src/sigv4.ts`],
    },
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => sources.has(name) || fileExists(name);
  host.readFile = (name) => sources.get(name) ?? readFile(name);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    const text = sources.get(name);
    return text === undefined
      ? getSourceFile(name, languageVersion, ...rest)
      : ts.createSourceFile(name, text, languageVersion, true);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName.replace(SDK, 'sdk/')}:${line + 1}: ${message}`;
  });
}

describe('sdk/README.md', () => {
  it('has examples of each topic', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const topic of [
      'createClient',
      'ifMatch',
      'isProblemError',
      'retry',
      'createSigV4Fetch',
    ]) {
      expect(
        blocks.some((block) => block.includes(topic)),
        topic,
      ).toBe(true);
    }
  });

  it('has examples that compile with strict settings', () => {
    const sources = new Map(
      blocks.map((block, i) => [`${SDK}test/readme-example-${i + 1}.mts`, block]),
    );

    expect(typeCheck(sources)).toEqual([]);
  });

  it('the root README has a quick start that compiles too', () => {
    expect(rootBlocks).toHaveLength(1);
    const sources = new Map([[`${SDK}test/root-readme-example.mts`, rootBlocks[0] ?? '']]);

    expect(typeCheck(sources)).toEqual([]);
  });

  it('would notice an example that does not compile', () => {
    const broken =
      "import { createClient } from '@dynamo-crud/sdk';\ncreateClient({ baseUrl: 1 });\n";

    expect(typeCheck(new Map([[`${SDK}test/readme-broken.mts`, broken]]))).toEqual([
      expect.stringMatching(/^sdk\/test\/readme-broken\.mts:2: Type 'number' is not assignable/),
    ]);
  });
});
