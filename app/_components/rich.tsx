import { Fragment, type ReactNode } from 'react';
import type { MessageKey, MessageParam, Translator } from '@/lib/server/i18n';

/**
 * A message whose parameters may be elements (a link, a name in bold): the message is rendered with
 * a placeholder for each element, then split at them, so the translation decides where each goes.
 * Text parameters and numbers (PLURAL) are passed to banana-i18n as they are.
 */
export function rich(t: Translator, key: MessageKey, ...params: ReactNode[]): ReactNode {
  const plain: MessageParam[] = params.map((param, i) =>
    typeof param === 'string' || typeof param === 'number' ? param : `\u0000${i}\u0000`,
  );
  const parts = t.t(key, ...plain).split(/\u0000(\d+)\u0000/);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 0 ? part : <Fragment key={`p${i}`}>{params[Number(part)]}</Fragment>,
      )}
    </>
  );
}
