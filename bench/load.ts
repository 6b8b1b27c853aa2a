// The bench's side of the load generator (bench/load-worker.ts, a separate process).
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { LoadAnswer, LoadRequest, LoadTiming } from './load-worker';

export type { LoadRequest, LoadTiming } from './load-worker';

export interface LoadResult {
  wallMs: number;
  timings: LoadTiming[];
}

export class LoadGenerator {
  readonly #child: ChildProcess;
  #nextId = 1;
  readonly #waiting = new Map<number, (answer: LoadAnswer) => void>();

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (answer: LoadAnswer) => {
      this.#waiting.get(answer.id)?.(answer);
      this.#waiting.delete(answer.id);
    });
    child.on('exit', () => {
      for (const [id, reply] of this.#waiting) reply({ id, ok: false, error: 'the load generator exited' });
      this.#waiting.clear();
    });
  }

  static start(): LoadGenerator {
    const child = fork(join(__dirname, 'load-worker.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new LoadGenerator(child);
  }

  /** Sends `requests` to `origin` (loopback) with `concurrency` in flight; resolves when all answered. */
  run(origin: string, requests: LoadRequest[], concurrency: number): Promise<LoadResult> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, (answer) => {
        if (answer.ok) resolve({ wallMs: answer.wallMs, timings: answer.timings });
        else reject(new Error(`load generator: ${answer.error}`));
      });
      this.#child.send({ id, origin, requests, concurrency });
    });
  }

  close(): void {
    this.#child.disconnect();
  }
}
