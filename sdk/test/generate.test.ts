/**
 * `npm run generate:check` (run by `npm test`) catches a contract changed without regenerating
 * the SDK. The change is made to a copy of openapi.yaml, never to the file itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'sdk/scripts/generate.ts');
const work = mkdtempSync(join(tmpdir(), 'dynamo-crud-contract-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the check against `contract`; resolves to its exit code and what it printed. */
function check(contract: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT, '--check', '--contract', contract],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), output: stdout + stderr });
      },
    );
  });
}

describe('generate:check', () => {
  it('fails, naming the stale file, when the contract changed and src/gen did not', async () => {
    const contract = readFileSync(join(ROOT, 'openapi.yaml'), 'utf8');
    // A new optional member of Problem, as someone extending the error format would add it.
    const withNewField = contract.replace(
      /^( {8}instance:\n)/m,
      '        retryable:\n          type: boolean\n$1',
    );
    expect(withNewField).not.toBe(contract);
    const path = join(work, 'openapi.yaml');
    writeFileSync(path, withNewField);

    const { code, output } = await check(path);

    expect(code).toBe(1);
    expect(output).toContain('sdk/src/gen does not match openapi.yaml');
    expect(output).toContain('differs: types.gen.ts');
  });
});
