/**
 * `npm run bench -- --quick` must keep working: every measure runs (with tiny counts), every
 * peer passes the conformance check and is measured, and every figure comes out as a number.
 * How fast anything is, is not asserted here: the bench itself is where speed is read, on
 * purpose, with its baselines beside it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findNode22 } from '../server/test/support/node22.js';
import { PEER_MEASURES, type PeerRow } from './peers/measure.js';
import { PEERS } from './peers/variants.js';
import type { Figure } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'dynamo-crud-bench-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs the bench like `npm run bench -- --quick --out FILE` does. */
function runQuickBench(outFile: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      // The workspace packages from source, as `npm run bench` reads them.
      [
        '--conditions=@dynamo-crud/source',
        '--import',
        'tsx',
        'bench/run.ts',
        '--quick',
        '--out',
        outFile,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench -- --quick', () => {
  it('measures everything and writes each figure, with its baseline and ratio, as JSON', async () => {
    const outFile = join(workDir, 'results.json');
    const { code, output } = await runQuickBench(outFile);
    expect(code, output).toBe(0);

    const results = JSON.parse(readFileSync(outFile, 'utf8')) as {
      quick: boolean;
      figures: Figure[];
      peers: PeerRow[];
    };
    expect(results.quick).toBe(true);
    const ids = results.figures.map((f) => f.id);
    for (const measure of ['coldStart.', 'bundle.', 'latency.', 'throughput.', 'core.', 'sdk.']) {
      expect(
        ids.some((id) => id.startsWith(measure)),
        measure,
      ).toBe(true);
    }
    // Where Node.js 22 is installed (CI installs it), the cold start, the core and the SDK run
    // on it too.
    if (findNode22() !== undefined) {
      expect(ids).toEqual(
        expect.arrayContaining(['coldStart.node22', 'core.GET.node22', 'sdk.getItem.node22']),
      );
    }
    for (const f of results.figures) {
      for (const value of [f.ours, f.baseline, f.ratio]) {
        expect(Number.isFinite(value) && value > 0, `${f.id}: ${value}`).toBe(true);
      }
      expect(output).toContain(f.measure);
    }

    // Every variant passed the conformance check (the bench stops otherwise), then was measured.
    expect(results.peers.map((p) => p.id)).toEqual([
      'floor',
      'function',
      ...PEERS.map((p) => p.id),
    ]);
    for (const peer of results.peers) {
      expect(Object.keys(peer.figures).sort()).toEqual(Object.keys(PEER_MEASURES).sort());
      for (const [measure, { value, ratio }] of Object.entries(peer.figures)) {
        expect(Number.isFinite(value) && value > 0, `${peer.id} ${measure}: ${value}`).toBe(true);
        expect(Number.isFinite(ratio) && ratio > 0, `${peer.id} ${measure}: ${ratio}×`).toBe(true);
      }
      expect(output).toContain(peer.label);
    }
  }, 240_000);
});
