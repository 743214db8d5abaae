/**
 * Child processes for the tests that pack, install and run what users install (the SDK's
 * tarball, the contract-test runner's). npm's own `npm_*` variables are left out: inherited from
 * `npm test`, they would point a nested npm back at this repository.
 */
import { execFile } from 'node:child_process';

export interface Ran {
  /** The exit code; -1 when the process was killed (its time limit) or could not start. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  /** Added to the environment. */
  readonly env?: Record<string, string> | undefined;
  /** Killed after this many ms; default 180,000 (an `npm install` on a busy machine). */
  readonly timeoutMs?: number | undefined;
}

/** Runs `command` in `cwd`; resolves with its exit code and output, whatever the code. */
export function runCommand(
  command: string,
  args: readonly string[],
  cwd: string,
  { env = {}, timeoutMs = 180_000 }: CommandOptions = {},
): Promise<Ran> {
  const inherited = Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name));
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd,
        env: { ...Object.fromEntries(inherited), ...env },
        timeout: timeoutMs,
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * `runCommand`, for a step that must work.
 *
 * @throws Error with the command, `cwd` and its output when it exits with another code than 0
 */
export async function runOrThrow(
  command: string,
  args: readonly string[],
  cwd: string,
  options?: CommandOptions,
): Promise<Ran> {
  const ran = await runCommand(command, args, cwd, options);
  if (ran.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${ran.stdout}\n${ran.stderr}`);
  }
  return ran;
}
