// instrumentation.ts's early guard where no http.Server serves the requests (docs/vercel.md): a host
// whose runtime calls the app's handler with a request and response of its own, or the Edge
// runtime. There it must change nothing: installing it throws nothing, patches nothing the process
// uses, and a handler called directly sees every request, the ones the guard would refuse included.
// No http.Server listens in this process.
import { EventEmitter } from 'node:events';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { register } from '@/instrumentation';
import { installEarlyGuard } from '@/lib/server/http/early-guard';

const INSTALLED = Symbol.for('next-mwoauth.early-guard');
const originalEmit = Server.prototype.emit;
const runtime = process.env.NEXT_RUNTIME;

afterEach(() => {
  if (runtime === undefined) delete process.env.NEXT_RUNTIME;
  else process.env.NEXT_RUNTIME = runtime;
});

/** A TRACE request and its response, as a runtime without an http.Server would hand them to a handler. */
function traceRequest(): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.method = 'TRACE';
  req.url = '/profile';
  return { req, res: new ServerResponse(req) };
}

describe('the early guard with no http.Server', () => {
  it("should not be installed by register() in the Edge runtime (NEXT_RUNTIME 'edge')", async () => {
    process.env.NEXT_RUNTIME = 'edge';
    await register();
    expect(Reflect.get(Server.prototype, INSTALLED)).toBeUndefined();
    expect(Server.prototype.emit).toBe(originalEmit);
  });

  it('should install without throwing, once, changing only http.Server.prototype.emit', () => {
    const eventEmitterEmit = EventEmitter.prototype.emit;
    expect(() => installEarlyGuard({ refuseUpgrades: true })).not.toThrow();
    const patched = Server.prototype.emit;
    expect(patched).not.toBe(originalEmit);
    expect(() => installEarlyGuard({ refuseUpgrades: true })).not.toThrow();
    expect(Server.prototype.emit).toBe(patched); // not wrapped twice
    expect(EventEmitter.prototype.emit).toBe(eventEmitterEmit);
  });

  it('should leave a handler called directly (no http.Server) every request, even one it would refuse', () => {
    installEarlyGuard({ refuseUpgrades: true });
    const { req, res } = traceRequest();
    const seen: string[] = [];
    const runtimeBridge = new EventEmitter(); // what a serverless runtime uses instead of an http.Server
    runtimeBridge.on('request', (r: IncomingMessage) => seen.push(`${r.method} ${r.url}`));
    expect(runtimeBridge.emit('request', req, res)).toBe(true);
    expect(seen).toEqual(['TRACE /profile']);
    expect(res.headersSent).toBe(false);
    expect(res.statusCode).toBe(200); // untouched: the guard answered nothing
  });

  it('should pass every other event of an http.Server through unchanged', () => {
    installEarlyGuard({ refuseUpgrades: true });
    const server = new Server(); // never listens
    const events: unknown[] = [];
    server.on('custom', (value: unknown) => events.push(value));
    expect(server.emit('custom', 42)).toBe(true);
    expect(server.emit('nobody-listens')).toBe(false);
    expect(events).toEqual([42]);
  });
});
