// How section 5 times an operation, the same in Node (here) and in Python (bench/micro-python.py):
// run it for `warmupMs` (JIT, caches), double a batch until it lasts `minBatchMs`, then time
// `batches` batches of that size; the figure is the median batch's time per operation.

export interface MicroPlan {
  readonly warmupMs: number;
  readonly minBatchMs: number;
  readonly batches: number;
}

export interface OpFigure {
  /** Median over the batches, µs per operation. */
  readonly usPerOp: number;
  /** The fastest and slowest batch, µs per operation. */
  readonly min: number;
  readonly max: number;
  /** Operations per batch. */
  readonly perBatch: number;
  readonly batches: number;
}

export interface MicroResult {
  /** e.g. 'Node.js v20.20.2' or 'Python 3.11.2, oauthlib 3.2.2, PyJWT 2.6.0'. */
  readonly runtime: string;
  readonly ops: Readonly<Record<string, OpFigure>>;
}

/** The inputs both sides work on (written by bench/micro.ts, read from stdin). */
export interface MicroCase {
  /** One identify request, signed as lib/mwoauth signs it (POST, Authorization header). */
  readonly sign: {
    readonly method: 'POST';
    readonly url: string;
    readonly consumer: { readonly key: string; readonly secret: string };
    readonly token: { readonly key: string; readonly secret: string };
  };
  /** A recorded identify JWT, its consumer, the wiki's issuer and the time it is checked at. */
  readonly jwt: {
    readonly token: string;
    readonly consumerKey: string;
    readonly consumerSecret: string;
    readonly issuer: string;
    readonly nonce: string;
    readonly nowMs: number;
  };
  /** The login session (Node only: Python has no iron-session peer). */
  readonly session: { readonly secret: string; readonly sub: string; readonly username: string };
}

function isPromise(value: unknown): value is Promise<unknown> {
  return value instanceof Promise;
}

/** Times `op`; an op that returns a promise is awaited, one that does not is not (no microtask). */
export async function measure(plan: MicroPlan, op: () => unknown): Promise<OpFigure> {
  const batch = async (n: number): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const r = op();
      if (isPromise(r)) await r;
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const warmEnd = performance.now() + plan.warmupMs;
  while (performance.now() < warmEnd) await batch(1);
  let perBatch = 1;
  while ((await batch(perBatch)) < plan.minBatchMs) perBatch *= 2;
  const times: number[] = [];
  for (let i = 0; i < plan.batches; i++) times.push(((await batch(perBatch)) * 1000) / perBatch);
  times.sort((a, b) => a - b);
  return {
    usPerOp: times[Math.floor(times.length / 2)] ?? Number.NaN,
    min: times[0] ?? Number.NaN,
    max: times[times.length - 1] ?? Number.NaN,
    perBatch,
    batches: plan.batches,
  };
}
