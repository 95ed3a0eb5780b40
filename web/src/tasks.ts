// Small helpers for work that runs in the background.

/**
 * Wraps `task` so that calling the result runs it, but never twice at once:
 * calls while it runs coalesce into one more run, which starts at least
 * `gapMs` after the previous one started. A burst of live events thus costs
 * at most two reloads.
 */
export function coalesced(task: () => Promise<void>, gapMs: number): () => void {
  let running = false;
  let again = false;
  let lastStart = -Infinity;
  async function run(): Promise<void> {
    running = true;
    try {
      do {
        again = false;
        const wait = lastStart + gapMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastStart = Date.now();
        await task();
      } while (again);
    } finally {
      running = false;
    }
  }
  return () => {
    if (running) again = true;
    else void run();
  };
}

/** Maps `items` through `fn`, at most `limit` at a time, keeping their order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
