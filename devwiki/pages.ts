// HTML for people: plain, readable pages with no external assets. Forms keep MediaWiki's ids, field
// and button names (fixture 03; Special:UserLogin's wpName/wpPassword), so browser automation written
// for a real wiki works here unchanged. Every page says this is a local development wiki.
import { escapeHtml as e, type WikiMessage } from './messages';
import { GRANT_GROUPS, GRANT_LABELS } from './rights';
import type { DevwikiConsumer } from './types';

const STYLE = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:0 1rem 3rem;color:#202122;line-height:1.5}
.devwiki-banner{background:#fef6e7;border:1px solid #fc3;padding:.5rem .75rem;margin:1rem 0;border-radius:2px}
header{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #a2a9b1}
header a{color:#36c} h1{font-weight:normal;font-family:Georgia,serif} label{display:block;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;max-width:20rem;padding:.4rem;box-sizing:border-box}
button{padding:.4rem 1rem;margin:1rem .5rem 0 0;cursor:pointer} .error{color:#d33;font-weight:bold}
button[name=accept],#wpLoginAttempt{background:#36c;color:#fff;border:1px solid #36c} pre{white-space:pre-wrap;background:#f8f9fa;padding:1rem}
code{background:#eaecf0;padding:0 .2rem}`;

export interface PageUser {
  name: string;
}

/** The shared frame: title "<heading> - devwiki", a banner, and who is logged in. */
export function layout(
  heading: string,
  body: string,
  user: PageUser | null,
  subtitle = '',
  subtitleHref = '',
): string {
  const who =
    user === null
      ? '<a href="/w/index.php/Special:UserLogin">Log in</a>'
      : `Logged in as <b>${e(user.name)}</b> · <a href="/w/index.php/Special:OAuthManageMyGrants">Connected apps</a> · ` +
        '<a href="/w/index.php/Special:UserLogout">Log out</a>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>${e(heading)} - devwiki</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><header><a href="/w/index.php/Main_Page"><b>devwiki</b></a><span id="pt-userpage">${who}</span></header>
<p class="devwiki-banner" role="note"><b>This is devwiki, a local development wiki</b> standing in for MediaWiki with
Extension:OAuth. It is not a real wiki: any password works, and everything is forgotten when it stops.</p>
<h1 id="firstHeading">${e(heading)}</h1>${subtitle === '' ? '' : `<div id="contentSub">${subtitleHref === '' ? e(subtitle) : `<a href="${e(subtitleHref)}">${e(subtitle)}</a>`}</div>`}
<div id="mw-content-text">
${body}
</div></body></html>
`;
}

export function loginPage(opts: {
  returnto: string;
  returntoquery: string;
  warning: boolean;
  error: string | null;
  name: string;
}): string {
  const body = `${opts.warning ? '<p class="warningbox">Please log in to continue: an application wants to connect to your account.</p>' : ''}
${opts.error === null ? '' : `<p class="error">${e(opts.error)}</p>`}
<p>Demo users: <b>Alice</b> (ordinary user), <b>Admin</b> (sysop, bureaucrat, interface-admin) and <b>Blocked</b>
(a blocked user). <b>Any other name</b> logs in as a new ordinary user. <b>Any password</b> is accepted.</p>
<form name="userlogin" id="userloginForm" method="post" action="/w/index.php?title=Special:UserLogin">
<input type="hidden" name="title" value="Special:UserLogin">
<input type="hidden" name="returnto" value="${e(opts.returnto)}">
<input type="hidden" name="returntoquery" value="${e(opts.returntoquery)}">
<input type="hidden" name="wpLoginToken" value="+\\">
<label for="wpName1">Username</label>
<input type="text" id="wpName1" name="wpName" value="${e(opts.name)}" autofocus autocomplete="username">
<label for="wpPassword1">Password (anything)</label>
<input type="password" id="wpPassword1" name="wpPassword" autocomplete="current-password">
<div><button type="submit" id="wpLoginAttempt" name="wploginattempt" value="Log in">Log in</button></div>
</form>`;
  return layout('Log in', body, null);
}

/** Grants shown as MediaWiki groups them (fixture 03: "Interact with pages" / "Edit existing pages; ..."). */
function grantList(grants: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const g of grants) {
    if (g === 'basic') continue;
    const group = GRANT_GROUPS[g] ?? 'Other';
    groups.set(group, [...(groups.get(group) ?? []), GRANT_LABELS[g] ?? g]);
  }
  if (groups.size === 0) return '<ul><li><span class="mw-grantgroup">Basic rights</span></li></ul>';
  return [...groups]
    .map(
      ([group, labels]) =>
        `<ul><li><span class="mw-grantgroup">${e(group)}</span></li></ul>\n<dl><dd>${e(labels.join('; '))}</dd></dl>`,
    )
    .join('\n');
}

/** The authorize form of fixture 03 (OAuth 1.0a) and o2-03 (2.0): same id, action, fields, buttons. */
export function authorizePage(opts: {
  user: PageUser;
  consumer: DevwikiConsumer;
  /** 'authorize' or 'authenticate' (1.0a), 'approve' (2.0). */
  subpage: string;
  editToken: string;
  confirmUpdate: boolean;
  /** The grants asked for: the consumer's (1.0a), the request's scopes (2.0). */
  grants: readonly string[];
  /** The protocol's own hidden fields after wpconfirmUpdate, in the recorded order. */
  fields: ReadonlyArray<readonly [string, string]>;
  subtitle: string;
}): string {
  const title = `Special:OAuth/${opts.subpage}`;
  const hidden = (id: string, name: string, value: string): string =>
    `<input id="${id}" name="${name}" type="hidden" value="${e(value)}"/>`;
  const body = `<form id='mw-mwoauth-authorize-form' action='/w/index.php/${e(title)}' method='post' enctype='application/x-www-form-urlencoded'>
<input type="hidden" value="${e(title)}" name="title"/>
<p>Hi ${e(opts.user.name)},</p>
<p>In order to complete your request, <b>${e(opts.consumer.name)}</b> needs permission to perform the following
actions on your behalf on all projects of this site:</p>
${grantList(opts.grants)}
${hidden('wpEditToken', 'wpEditToken', opts.editToken)}
${hidden('mw-input-wpaction', 'wpaction', 'accept')}
${hidden('mw-input-wpconfirmUpdate', 'wpconfirmUpdate', opts.confirmUpdate ? '1' : '0')}
${opts.fields.map(([name, value]) => hidden(`mw-input-${name}`, name, value)).join('\n')}
<div class="mw-htmlform-submit-buttons">
<span id='mw-mwoauth-accept'><button type='submit' name='accept' value='Allow'>Allow</button></span><span><button type='submit' name='cancel' value='Cancel'>Cancel</button></span>
</div>
<a href="/w/index.php/devwiki:Privacy_policy">Privacy policy</a></form>`;
  return layout('OAuth', body, opts.user, opts.subtitle);
}

/** Cancel: a page, never a redirect to the application (fixture 30). */
export function cancelPage(user: PageUser, consumer: DevwikiConsumer): string {
  const n = e(consumer.name);
  const body = `<p>You have chosen not to allow "${n}" to access your account. "${n}" will not work unless you allow it
access. You can go back to "${n}" or <a href="/w/index.php/Special:OAuthManageMyGrants">manage</a> your connected apps.</p>
<p>Return to <a href="/w/index.php/Main_Page">Main Page</a>.</p>`;
  return layout('OAuth', body, user, 'Allows usage of OAuth 1.0a for API authorization');
}

/** "Application Connection Error" (fixtures 28b, 28c), with the E00N help link. */
export function errorPage(message: WikiMessage, user: PageUser | null): string {
  const help = message.helpUrl();
  const details =
    message.details === null || help === null
      ? ''
      : ` <span class="plainlinks mw-mwoautherror-details">${e(message.details.label)}, <a class="external" href="${help}">${e(message.details.code)}</a></span>`;
  const body = `<p class="error">${e(message.text).replace(/\n/g, '<br>')}${details}</p>
<p>Return to <a href="/w/index.php/Main_Page">Main Page</a>.</p>`;
  return layout('Application Connection Error', body, user);
}

export interface GrantRow {
  acceptanceId: number;
  consumer: DevwikiConsumer;
  grants: readonly string[];
}

/** Special:OAuthManageMyGrants: every connected app, each with a form to revoke it (fixture 32). */
export function manageGrantsPage(user: PageUser, rows: GrantRow[], editToken: string): string {
  const list =
    rows.length === 0
      ? '<p>No connected applications.</p>'
      : rows
          .map(
            (r) => `<section class="mw-mwoauthmanagemygrants-item"><h2>${e(r.consumer.name)}</h2>
${grantList(r.grants)}
<form method="post" action="/w/index.php/Special:OAuthManageMyGrants/revoke/${r.acceptanceId}">
<input type="hidden" name="title" value="Special:OAuthManageMyGrants/revoke/${r.acceptanceId}">
${r.grants.map((g) => `<input type="hidden" name="wpgrants[]" value="grant-${e(g)}">`).join('')}
<input type="hidden" name="wpEditToken" value="${e(editToken)}">
<input type="hidden" name="wpacceptanceId" value="${r.acceptanceId}">
<button type="submit" name="renounce" value="Deauthorize">Deauthorize</button>
</form></section>`,
          )
          .join('\n');
  return layout('Manage connected applications', list, user);
}

export function revokedPage(user: PageUser): string {
  return layout(
    'Manage connected applications',
    "<p>The application's access to your account has been revoked.</p>",
    user,
    'Navigation: [ Connected application list ]',
    '/w/index.php/Special:OAuthManageMyGrants',
  );
}

export function mainPage(
  user: PageUser | null,
  urls: { index: string; api: string },
  consumers: DevwikiConsumer[],
): string {
  const rows = consumers
    .map(
      (c) =>
        `<tr><td>${c.id}</td><td>${e(c.name)}${c.oauthVersion === '2.0' ? ` (OAuth 2.0${c.confidential === false ? ', public' : ''})` : ''}</td><td><code>${e(c.key)}</code></td><td>${
          c.ownerOnly
            ? `owner-only (${e(c.owner ?? '')})`
            : `${e(c.callbackUrl)}${c.callbackIsPrefix ? ' (prefix)' : ' (oob only)'}`
        }</td><td>${e(c.grants.join(', '))}</td></tr>`,
    )
    .join('');
  const body = `<p>index.php: <code>${e(urls.index)}</code><br>api.php: <code>${e(urls.api)}</code></p>
<p><a href="/w/index.php/Special:UserLogin">Log in</a> as Alice, Admin, Blocked or any new name, with any password.</p>
<h2>Consumers</h2><table><tr><th>id</th><th>name</th><th>key / client id</th><th>callback</th><th>grants</th></tr>${rows}</table>
<p>Keys and secrets are printed on the console when devwiki starts (they are local development data).</p>`;
  return layout('Main Page', body, user);
}

export function articlePage(title: string, content: string | null, user: PageUser | null): string {
  const body =
    content === null
      ? '<p>There is currently no text in this page.</p>'
      : `<pre id="mw-page-content">${e(content)}</pre>`;
  return layout(title, body, user);
}
