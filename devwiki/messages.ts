// Extension:OAuth's error messages (REL1_39, English), as the recorded wiki sends them
// (tests/fixtures/mediawiki-1.39-oauth/_facts.json "error_body_formats"), and the three ways
// Special:OAuth renders one: raw text, JSON, or an HTML page.

/** PHP's htmlspecialchars( ..., ENT_QUOTES ), which Message::escaped() uses (fixture 26f shows &#039;). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#039;');
}

/** The "E00N" help link some messages end with (Help:OAuth/Errors). */
export interface ErrorDetails {
  label: string;
  code: string;
}

/** A MediaWiki message: its key, its text, and for some an E00N details line. */
export class WikiMessage {
  constructor(
    readonly key: string,
    readonly text: string,
    readonly details: ErrorDetails | null = null,
  ) {}

  helpUrl(): string | null {
    return this.details === null
      ? null
      : `https://www.mediawiki.org/wiki/Help:OAuth/Errors#${this.details.code}`;
  }

  /**
   * Message::escaped(): the text HTML-escaped, except the E00N link, which MediaWiki adds as a raw
   * parameter, so the recorded bodies hold an escaped <span> around a real <a> (fixtures 06, 25, 29c).
   */
  escaped(): string {
    const help = this.helpUrl();
    if (this.details === null || help === null) return escapeHtml(this.text);
    return (
      escapeHtml(this.text) +
      '\n\n' +
      escapeHtml('<span class="plainlinks mw-mwoautherror-details">') +
      escapeHtml(this.details.label) +
      `, <a class="external" href="${help}">${this.details.code}</a>` +
      escapeHtml('</span>')
    );
  }

  /** Message::plain(), for JSON bodies and API `info`. No fixture shows an E00N message in JSON. */
  plain(): string {
    const help = this.helpUrl();
    if (this.details === null || help === null) return this.text;
    return (
      this.text +
      '\n\n' +
      `<span class="plainlinks mw-mwoautherror-details">${this.details.label}, ` +
      `<a class="external" href="${help}">${this.details.code}</a></span>`
    );
  }
}

/** Thrown by request handling; rendered by the endpoint in its own format. */
export class WikiError extends Error {
  /** What api.php puts after "The authorization headers in your request are not valid: " (fixtures 14-19). */
  readonly apiText: string;

  constructor(
    readonly wikiMessage: WikiMessage,
    apiText: string | null = null,
  ) {
    super(wikiMessage.text);
    this.name = 'WikiError';
    this.apiText = apiText ?? wikiMessage.plain();
  }
}

/** OAuthException from the bundled OAuth.php library, wrapped in mwoauth-oauth-exception [12, 21, 22]. */
export function oauthException(detail: string): WikiError {
  return new WikiError(
    new WikiMessage('mwoauth-oauth-exception', `An error occurred in the OAuth protocol: ${detail}`),
    detail,
  );
}

/** The MWOAuthException messages seen in the fixtures (and a few more from Extension:OAuth REL1_39 i18n). */
export const messages = {
  callbackNotOob: (): WikiMessage =>
    new WikiMessage(
      'mwoauth-callback-not-oob',
      'oauth_callback must be set, and must be set to "oob" (case-sensitive)',
    ),
  callbackNotOobOrPrefix: (): WikiMessage =>
    new WikiMessage(
      'mwoauth-callback-not-oob-or-prefix',
      'oauth_callback must be set, and must be set to "oob" (case-sensitive), or the configured callback must be a prefix of the supplied callback.',
    ),
  requestTokenAlreadyUsed: (): WikiMessage =>
    new WikiMessage(
      'mwoauthdatastore-request-token-already-used',
      'This request has already been completed and cannot be resubmitted.\nGo back to the application and try to connect your account again, or contact the application author.',
      { label: 'OAuth token already used', code: 'E009' },
    ),
  requestTokenNotFound: (): WikiMessage =>
    new WikiMessage(
      'mwoauthdatastore-request-token-not-found',
      'Sorry, something went wrong connecting this application.\nGo back and try to connect your account again, or contact the application author.',
      { label: 'OAuth token not found', code: 'E004' },
    ),
  badVerifier: (): WikiMessage =>
    new WikiMessage('mwoauthdatastore-bad-verifier', 'The verification code provided was not valid.'),
  badToken: (): WikiMessage =>
    new WikiMessage('mwoauthdatastore-bad-token', 'No token was found matching your request.'),
  accessTokenNotFound: (): WikiMessage =>
    new WikiMessage(
      'mwoauthdatastore-access-token-not-found',
      'No approved grant was found for that authorization token.',
    ),
  consumerOwnerOnly: (name: string, key: string): WikiMessage =>
    new WikiMessage(
      'mwoauthserver-consumer-owner-only',
      `"${name}" is an owner-only Connected App. To fetch the access token, see [[Special:OAuthConsumerRegistration/update/${key}]].`,
      { label: 'Consumer is owner-only', code: 'E010' },
    ),
  badConsumerKey: (): WikiMessage =>
    new WikiMessage(
      'mwoauthserver-bad-consumer-key',
      'Sorry, something went wrong connecting this application.',
      {
        label: 'Unknown OAuth key',
        code: 'E006',
      },
    ),
  missingParams: (): WikiMessage =>
    new WikiMessage(
      'mwoauth-bad-request-missing-params',
      'Sorry, something went wrong configuring this connected application.\nContact the developer to fix it.',
      { label: 'Missing OAuth parameters', code: 'E001' },
    ),
  sessionFailure: (): WikiMessage =>
    new WikiMessage(
      'sessionfailure',
      'There seems to be a problem with your login session; this action has been canceled as a precaution against session hijacking. Please resubmit the form.',
    ),
};
