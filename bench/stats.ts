/** Small statistics for the bench: percentiles of samples, a clock in milliseconds, µs per call. */

/** The `p`th percentile (0-100) of `samples`, nearest rank; `NaN` for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/** Milliseconds, high resolution. */
export function now(): number {
  return performance.now();
}

/**
 * µs per call: `iterations` calls to warm up, then as many again in 10 batches, the median
 * batch's mean. Each batch's inputs are made by `prepare` before its clock starts, so only
 * `call` is timed.
 */
export async function perCallUs<T>(
  iterations: number,
  prepare: (i: number) => T,
  call: (input: T) => Promise<unknown>,
): Promise<number> {
  let i = 0;
  for (let n = 0; n < iterations; n++) await call(prepare(i++));
  const batches = 10;
  const perBatch = Math.max(1, Math.ceil(iterations / batches));
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const inputs = Array.from({ length: perBatch }, () => prepare(i++));
    const start = now();
    for (const input of inputs) await call(input);
    samples.push(((now() - start) * 1000) / perBatch);
  }
  return median(samples);
}

/**
 * Calls per second with `inFlight` calls always outstanding, for `durationMs` (or until
 * `amount` calls, for `--quick`); over the real time taken.
 */
export async function callsPerSecond(
  call: () => Promise<unknown>,
  {
    durationMs,
    amount,
    inFlight,
  }: { durationMs: number; amount?: number | undefined; inFlight: number },
): Promise<{ requests: number; perSecond: number }> {
  let done = 0;
  const start = now();
  const deadline = start + durationMs;
  const more = () => (amount === undefined ? now() < deadline : done < amount);
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (more()) {
        await call();
        done++;
      }
    }),
  );
  return { requests: done, perSecond: done / ((now() - start) / 1000) };
}
