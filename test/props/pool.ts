// A pool of worker threads with a watchdog: each task (an index) runs in a worker, and a task that
// runs past its time bound is a hang: the worker is terminated and replaced, the next task goes on.
// A worker that dies (an uncaught error, a WASM abort) reports the task it was on as a crash.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export type TaskOutcome<R> =
  { kind: 'done'; result: R; ms: number } | { kind: 'hang'; ms: number } | { kind: 'crash'; error: string; ms: number };

export interface PoolOptions<R> {
  /** the bundled script that calls `serveTasks` when not on the main thread */
  script: string;
  data: unknown;
  tasks: number;
  jobs: number;
  /** per task; past it the task is a hang */
  timeoutMs: number | ((task: number) => number);
  onOutcome(task: number, outcome: TaskOutcome<R>): void;
}

export function runPool<R>(opts: PoolOptions<R>): Promise<void> {
  let next = 0,
    running = 0;
  return new Promise((resolve, reject) => {
    const spawn = () => {
      if (next >= opts.tasks) {
        if (running === 0) resolve();
        return;
      }
      running++;
      const worker = new Worker(opts.script, { workerData: opts.data, stdout: false, stderr: false });
      let current = -1,
        started = 0,
        timer: NodeJS.Timeout | undefined,
        finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        running--;
      };
      const give = () => {
        if (next >= opts.tasks) {
          finish();
          void worker.terminate();
          if (running === 0) resolve();
          return;
        }
        current = next++;
        started = Date.now();
        const bound = typeof opts.timeoutMs === 'number' ? opts.timeoutMs : opts.timeoutMs(current);
        clearTimeout(timer);
        timer = setTimeout(() => {
          opts.onOutcome(current, { kind: 'hang', ms: Date.now() - started });
          finish();
          void worker.terminate().then(spawn);
        }, bound);
        worker.postMessage(current);
      };
      worker.on('message', (m: { task: number; result: R }) => {
        if (finished || m.task !== current) return;
        opts.onOutcome(current, { kind: 'done', result: m.result, ms: Date.now() - started });
        give();
      });
      worker.on('error', e => {
        if (finished) return;
        if (current >= 0)
          opts.onOutcome(current, {
            kind: 'crash',
            error: String(e?.stack ?? e)
              .split('\n')
              .slice(0, 3)
              .join(' | '),
            ms: Date.now() - started,
          });
        finish();
        spawn();
      });
      worker.on('exit', code => {
        if (finished) return;
        if (current >= 0)
          opts.onOutcome(current, {
            kind: 'crash',
            error: `worker exited with code ${code}`,
            ms: Date.now() - started,
          });
        finish();
        spawn();
      });
      worker.once('online', give);
    };
    try {
      for (let i = 0; i < Math.max(1, opts.jobs); i++) spawn();
    } catch (e) {
      reject(e);
    }
  });
}

/** In a worker: answers each task index with `handle`'s result. Returns false on the main thread. */
export function serveTasks<D, R>(handle: (task: number, data: D) => Promise<R> | R): boolean {
  if (isMainThread) return false;
  parentPort!.on('message', async (task: number) => {
    parentPort!.postMessage({ task, result: await handle(task, workerData as D) });
  });
  return true;
}
