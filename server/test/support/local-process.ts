/**
 * The real `npm start` process (`server/src/local/main.ts` under tsx), as a user runs it: spawn
 * it, wait for its "listening" line, talk to it over HTTP, stop it with a signal. Every process
 * and temp dir a `LocalProcesses` made is killed and removed by `cleanup()`, whatever happened.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How long a start or a stop may take before the test fails, saying what it saw. */
const WAIT_MS = 20_000;

/** The environment a spawned server inherits; everything else (config, AWS_*) is left out. */
const INHERITED_ENV = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'SYSTEMROOT', 'LANG'];

const LISTENING = /dynamo-crud listening on (http:\/\/127\.0\.0\.1:\d+)\/dynamo /;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LocalProcess {
  readonly pid: number | undefined;
  /** Everything it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the base URL (`http://127.0.0.1:PORT`) once it prints its listening line. */
  listening(): Promise<string>;
  /** Resolves when it has exited and its output is read. */
  exited(): Promise<Exit>;
  /** Sends `signal` and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** What a child process printed so far, as text; grows as it prints. */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
}

/** Collects everything `child` prints on stdout and stderr (as UTF-8 text). */
export function captureOutput(child: ChildProcess): CapturedOutput {
  const captured: CapturedOutput = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    captured.stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    captured.stderr += chunk;
  });
  return captured;
}

export class LocalProcesses {
  readonly #children = new Set<ChildProcess>();
  readonly #dirs = new Set<string>();

  /** A fresh, empty directory under the OS temp dir; removed by `cleanup()`. */
  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'dynamo-crud-local-'));
    this.#dirs.add(dir);
    return dir;
  }

  /** Spawns the server with `env` on top of a minimal environment (PORT=0 unless given). */
  start(env: Record<string, string>): LocalProcess {
    const inherited = Object.fromEntries(
      INHERITED_ENV.flatMap((name) => {
        const value = process.env[name];
        return value === undefined ? [] : [[name, value]];
      }),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/local/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...inherited,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.add(child);

    const captured = captureOutput(child);
    const exited = new Promise<Exit>((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => {
        captured.stderr += String(error);
        resolve({ code: null, signal: null });
      });
    });
    const output = () => `\n--- stdout ---\n${captured.stdout}\n--- stderr ---\n${captured.stderr}`;

    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no listening line within ${WAIT_MS} ms${output()}`)),
        WAIT_MS,
      );
      const check = () => {
        const url = LISTENING.exec(captured.stdout)?.[1];
        if (url === undefined) return;
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(url);
      };
      child.stdout?.on('data', check);
      void exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`exited (${JSON.stringify(exit)}) before listening${output()}`));
      });
    });
    // Callers that expect a failed start never await it; keep that rejection handled.
    listening.catch(() => {});

    const waitForExit = () =>
      new Promise<Exit>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`still running after ${WAIT_MS} ms${output()}`)),
          WAIT_MS,
        );
        void exited.then((exit) => {
          clearTimeout(timer);
          resolve(exit);
        });
      });

    return {
      pid: child.pid,
      stdout: () => captured.stdout,
      stderr: () => captured.stderr,
      listening: () => listening,
      exited: waitForExit,
      stop: (signal = 'SIGTERM') => {
        child.kill(signal);
        return waitForExit();
      },
    };
  }

  /** Kills whatever is still running (SIGKILL), waits for it, then removes the temp dirs. */
  async cleanup(): Promise<void> {
    const children = [...this.#children];
    this.#children.clear();
    await Promise.all(
      children.map(async (child) => {
        const running = child.pid !== undefined && child.exitCode === null;
        if (!running || child.signalCode !== null) return;
        const closed = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await closed;
      }),
    );
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
    this.#dirs.clear();
  }
}
