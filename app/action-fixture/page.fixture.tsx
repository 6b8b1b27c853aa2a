import type { ReactNode } from 'react';
import { requireUser } from '@/lib/server/auth';
import { appendLine } from './actions.fixture';

// A test fixture, not part of the app (see actions.fixture.ts): a page with one server-action
// form. English only, on purpose: it is never shown to anyone but a test.

export default async function ActionFixturePage(): Promise<ReactNode> {
  const user = await requireUser('/action-fixture');
  return (
    <div lang="en" dir="ltr">
      <h1>Action fixture</h1>
      <p>
        <bdi>{user.username}</bdi>
      </p>
      <form action={appendLine}>
        <input name="line" type="text" required />
        <button type="submit">Append</button>
      </form>
    </div>
  );
}
