// The types of lib/http-policy.mjs (JavaScript, so that next.config.mjs can import it).

/** Sent with every response, pages and route handlers alike. */
export declare const SECURITY_HEADERS: ReadonlyArray<{ readonly key: string; readonly value: string }>;
/** The largest body a page accepts (bytes). */
export declare const PAGE_BODY_LIMIT: number;
/** How much of a page request's body Next copies for proxy.ts (bytes). */
export declare const PROXY_BODY_COPY_LIMIT: number;
