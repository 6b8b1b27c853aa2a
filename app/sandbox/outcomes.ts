/** The longest line the sandbox form accepts. */
export const MAX_LINE_LENGTH = 200;

export function sandboxTitle(username: string): string {
  return `User:${username}/sandbox`;
}

/** Failed edits, as `/sandbox?error=<outcome>`, each with what to tell the user. */
export const SANDBOX_OUTCOMES = {
  invalid: `Write a line of text (at most ${MAX_LINE_LENGTH} characters) first.`,
  editconflict: 'Someone else edited your sandbox at the same moment. Nothing was saved: try again.',
  blocked: 'Your account is blocked on the wiki, so it cannot edit. Nothing was saved.',
  protectedpage: 'This page is protected on the wiki, so your account cannot edit it. Nothing was saved.',
  readonly: 'The wiki is read-only for maintenance right now. Nothing was saved: try again later.',
  permissiondenied: 'The wiki does not allow this app to edit for you (check its grants). Nothing was saved.',
  unreachable: 'The wiki did not answer in time. The edit may not have been saved: check the page history.',
  failed: 'The wiki refused the edit. Nothing was saved.',
} as const;

export type SandboxOutcome = keyof typeof SANDBOX_OUTCOMES;
