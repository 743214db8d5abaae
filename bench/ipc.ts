/**
 * The bench's worker processes: a TypeScript script forked with tsx that answers commands over
 * IPC, one answer per command (`{ id, result }` or `{ id, error }`), after a first message
 * saying it is ready. `startWorker` is the bench's side, `serveCommands` the worker's;
 * `bench/client-worker.ts` and `bench/peers/handler-worker.ts` are two.
 */
import { type ChildProcess, fork } from 'node:child_process';

export interface Worker<Command> {
  run(command: Command): Promise<unknown>;
  /** Lets it exit (it exits when its IPC channel closes). */
  stop(): void;
}

export interface WorkerOptions {
  /** The script's one argument (its setup, as JSON). */
  readonly setup: unknown;
  readonly cwd: string;
  /** The whole environment it gets. */
  readonly env: NodeJS.ProcessEnv;
  /** Told of the child, so that it can be stopped if the bench stops early. */
  readonly track: (child: ChildProcess) => void;
  /** The `node` binary to run it on; default this process's. */
  readonly execPath?: string | undefined;
}

export function startWorker<Command>(
  script: string,
  options: WorkerOptions,
): Promise<Worker<Command>> {
  const child = fork(script, [JSON.stringify(options.setup)], {
    cwd: options.cwd,
    execArgv: ['--import', 'tsx'],
    env: options.env,
    ...(options.execPath === undefined ? {} : { execPath: options.execPath }),
  });
  options.track(child);
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  child.once('exit', (code) => {
    for (const { reject } of pending.values()) reject(new Error(`${script} exited (${code})`));
  });
  return new Promise((resolve, reject) => {
    child.once('message', () =>
      resolve({
        run: (command) =>
          new Promise((resolveRun, rejectRun) => {
            const id = next++;
            pending.set(id, { resolve: resolveRun, reject: rejectRun });
            child.send({ id, command });
          }),
        stop: () => child.disconnect(),
      }),
    );
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
}

/**
 * The worker's side: answers each command with what `run` resolves to (or the error's stack),
 * exits when the bench lets go of it, and says it is ready.
 */
export function serveCommands<Command>(run: (command: Command) => Promise<unknown>): void {
  process.on('message', (message: { id: number; command: Command }) => {
    run(message.command).then(
      (result) => process.send?.({ id: message.id, result }),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          error: error instanceof Error ? error.stack : String(error),
        }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: true });
}
