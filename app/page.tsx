import type { ReactNode } from 'react';

export default function HomePage(): ReactNode {
  return (
    <>
      <h1>next-mwoauth</h1>
      <p>A Next.js starter for logging in with a wiki account through MediaWiki&apos;s Extension:OAuth.</p>
    </>
  );
}
