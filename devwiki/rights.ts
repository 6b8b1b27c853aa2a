// Groups, rights and grants as the recorded MediaWiki 1.39 has them.

/** Rights of an ordinary (autoconfirmed) user, in MediaWiki's order: the `rights` of fixture 07's JWT (Alice). */
export const USER_RIGHTS: readonly string[] = [
  'createaccount', 'read', 'edit', 'createpage', 'createtalk', 'writeapi', 'viewmywatchlist', 'editmywatchlist',
  'viewmyprivateinfo', 'editmyprivateinfo', 'editmyoptions', 'move', 'move-subpages', 'move-rootuserpages',
  'move-categorypages', 'movefile', 'upload', 'reupload', 'reupload-shared', 'minoredit', 'editmyusercss',
  'editmyuserjson', 'editmyuserjs', 'editmyuserjsredirect', 'purge', 'sendemail', 'applychangetags', 'changetags',
  'editcontentmodel', 'mwoauthmanagemygrants', 'autoconfirmed', 'editsemiprotected',
]; // prettier-ignore

/** Rights of a sysop + bureaucrat + interface-admin: the `rights` of fixture 31b's JWT (Admin). */
export const ADMIN_RIGHTS: readonly string[] = [
  'userrights', 'noratelimit', 'editinterface', 'editsitecss', 'editsitejson', 'editsitejs', 'editusercss',
  'edituserjson', 'edituserjs', 'block', 'createaccount', 'delete', 'bigdelete', 'deletedhistory', 'deletedtext',
  'undelete', 'import', 'importupload', 'move', 'move-subpages', 'move-rootuserpages', 'move-categorypages', 'patrol',
  'autopatrol', 'protect', 'editprotected', 'rollback', 'upload', 'reupload', 'reupload-shared', 'unwatchedpages',
  'autoconfirmed', 'editsemiprotected', 'ipblock-exempt', 'blockemail', 'markbotedits', 'apihighlimits',
  'browsearchive', 'movefile', 'unblockself', 'suppressredirect', 'mergehistory', 'managechangetags',
  'deletechangetags', 'mwoauthproposeconsumer', 'mwoauthupdateownconsumer', 'mwoauthmanageconsumer',
  'mwoauthsuppress', 'mwoauthviewsuppressed', 'mwoauthviewprivate', 'read', 'edit', 'createpage', 'createtalk',
  'writeapi', 'viewmywatchlist', 'editmywatchlist', 'viewmyprivateinfo', 'editmyprivateinfo', 'editmyoptions',
  'minoredit', 'editmyusercss', 'editmyuserjson', 'editmyuserjs', 'editmyuserjsredirect', 'purge', 'sendemail',
  'applychangetags', 'changetags', 'editcontentmodel', 'mwoauthmanagemygrants',
]; // prettier-ignore

export const USER_GROUPS: readonly string[] = ['*', 'user', 'autoconfirmed'];
export const ADMIN_GROUPS: readonly string[] = [
  'bureaucrat',
  'interface-admin',
  'sysop',
  '*',
  'user',
  'autoconfirmed',
];

const EDITPAGE = ['edit', 'minoredit', 'applychangetags', 'changetags', 'editcontentmodel', 'purge'];

/**
 * $wgGrantPermissions (MediaWiki 1.39 defaults, the grants devwiki consumers use). Checked against the
 * fixtures: user rights ∩ these reproduce the `rights` of api.php userinfo exactly for Alice with
 * basic+editpage+createeditmovepage (fixture 08) and for Admin with privateinfo too (fixture 31).
 */
export const GRANT_RIGHTS: Readonly<Record<string, readonly string[]>> = {
  basic: [
    'autocreateaccount', 'autoconfirmed', 'autopatrol', 'editsemiprotected', 'ipblock-exempt', 'nominornewtalk',
    'patrolmarks', 'read', 'unwatchedpages', 'writeapi',
  ],
  highvolume: ['bot', 'apihighlimits', 'noratelimit', 'markbotedits'],
  editpage: EDITPAGE,
  editprotected: [...EDITPAGE, 'editprotected'],
  createeditmovepage: [
    ...EDITPAGE, 'createpage', 'createtalk', 'move', 'move-rootuserpages', 'move-subpages', 'move-categorypages',
    'suppressredirect',
  ],
  protect: [...EDITPAGE, 'editprotected', 'protect'],
  blockusers: ['block', 'blockemail'],
  privateinfo: ['viewmyprivateinfo'],
  viewmywatchlist: ['viewmywatchlist'],
  editviewmywatchlist: ['editmywatchlist', 'viewmywatchlist'],
  'mwoauth-authonly': [],
  'mwoauth-authonlyprivate': [],
}; // prettier-ignore

export const KNOWN_GRANTS: readonly string[] = Object.keys(GRANT_RIGHTS);

/** The rights an OAuth session has: the user's rights that a grant allows, in the user's order (fixtures 08, 31). */
export function rightsUnderGrants(userRights: readonly string[], grants: readonly string[]): string[] {
  const allowed = new Set(['basic', ...grants].flatMap((g) => GRANT_RIGHTS[g] ?? []));
  return userRights.filter((r) => allowed.has(r));
}

/**
 * The `grants` claim of identify's JWT: ['basic', ...consumer grants] through PHP's array_unique,
 * which keeps the first key of each value. With gaps, PHP's json_encode writes an object with
 * numeric-string keys ({"0":"basic","2":"editpage",...}, fixture 07); without, a list.
 */
export function grantsClaim(grants: readonly string[]): string[] | Record<string, string> {
  const merged = ['basic', ...grants];
  const kept: Array<[number, string]> = [];
  merged.forEach((g, i) => {
    if (merged.indexOf(g) === i) kept.push([i, g]);
  });
  if (kept.every(([i], n) => i === n)) return kept.map(([, g]) => g);
  return Object.fromEntries(kept.map(([i, g]) => [String(i), g]));
}

/** Human-readable grant descriptions for the authorize page (Special:ListGrants wording). */
export const GRANT_LABELS: Readonly<Record<string, string>> = {
  basic: 'Basic rights',
  highvolume: 'High-volume (bot) access',
  editpage: 'Edit existing pages',
  editprotected: 'Edit protected pages',
  createeditmovepage: 'Create, edit, and move pages',
  protect: 'Protect and unprotect pages',
  blockusers: 'Block and unblock users',
  privateinfo: 'Access your private information (email address, real name)',
  viewmywatchlist: 'View your watchlist',
  editviewmywatchlist: 'Edit your watchlist',
  'mwoauth-authonly': 'Verify your identity only',
  'mwoauth-authonlyprivate': 'Verify your identity, with your real name and email address',
};

/** Special:ListGrants' groups, which the authorize page lists the grants under. */
export const GRANT_GROUPS: Readonly<Record<string, string>> = {
  editpage: 'Interact with pages',
  editprotected: 'Interact with pages',
  createeditmovepage: 'Interact with pages',
  highvolume: 'High-volume (bot) access',
  protect: 'Perform administrative actions',
  blockusers: 'Perform administrative actions',
  privateinfo: 'Access private information',
  viewmywatchlist: 'Interact with your watchlist',
  editviewmywatchlist: 'Interact with your watchlist',
  'mwoauth-authonly': 'Identity',
  'mwoauth-authonlyprivate': 'Identity',
};
