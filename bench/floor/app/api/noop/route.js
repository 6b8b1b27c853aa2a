// A route handler that does nothing: what Next costs per request before any work of ours.
export function GET() {
  return new Response('ok');
}
