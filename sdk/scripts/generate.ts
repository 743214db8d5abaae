/**
 * `npm run generate`: writes `src/gen/` from openapi.yaml.
 * `npm run generate:check`: regenerates into a temporary folder and fails, naming each file,
 * when anything differs from the committed `src/gen/` (CI runs it on a clean clone).
 * `--contract PATH` reads another contract (the tests use it to show that a change is caught).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createClient } from '@hey-api/openapi-ts';
import { CONTRACT, GENERATED_DIR, generatorConfig } from '../openapi-ts.config.js';

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function differences(expectedDir: string, actualDir: string): string[] {
  const expected = listFiles(expectedDir);
  const actual = new Set(listFiles(actualDir));
  const found: string[] = [];
  for (const file of expected) {
    if (!actual.has(file)) found.push(`missing: ${file}`);
    else if (!readFileSync(join(expectedDir, file)).equals(readFileSync(join(actualDir, file)))) {
      found.push(`differs: ${file}`);
    }
    actual.delete(file);
  }
  for (const file of actual) found.push(`not generated (stale): ${file}`);
  return found;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--contract');
  const contract = at === -1 ? CONTRACT : args[at + 1];
  if (contract === undefined) throw new Error('--contract needs a path');
  if (!args.includes('--check')) {
    await createClient(generatorConfig(GENERATED_DIR, contract));
    return;
  }
  const fresh = mkdtempSync(join(tmpdir(), 'dynamo-crud-sdk-gen-'));
  try {
    await createClient(generatorConfig(fresh, contract));
    let found: string[];
    try {
      found = differences(fresh, GENERATED_DIR);
    } catch (error) {
      found = [`cannot read ${GENERATED_DIR}: ${(error as Error).message}`];
    }
    if (found.length > 0) {
      console.error('sdk/src/gen does not match openapi.yaml; run `npm run generate` and commit:');
      for (const line of found) console.error(`  ${line}`);
      process.exitCode = 1;
    } else {
      console.log('sdk/src/gen matches openapi.yaml');
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

await main();
