import { cookies } from 'next/headers';

// Rendered per request, as next-mwoauth's pages are (they read a cookie).
export default async function Page() {
  await cookies();
  return <p>floor</p>;
}
