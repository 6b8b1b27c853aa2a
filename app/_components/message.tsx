import type { ReactNode } from 'react';

export type MessageType = 'notice' | 'success' | 'warning' | 'error';

/** A Codex-style message box; errors and warnings are announced to screen readers at once. */
export function Message({ type, children }: { type: MessageType; children: ReactNode }): ReactNode {
  const role = type === 'error' || type === 'warning' ? 'alert' : 'status';
  return (
    <div className={`message message-${type}`} role={role}>
      {children}
    </div>
  );
}
