// The types of lib/http-policy.mjs (JavaScript, so that next.config.mjs can import it).

/** Sent with every response, pages and route handlers alike. */
export declare const SECURITY_HEADERS: ReadonlyArray<{ readonly key: string; readonly value: string }>;
/** The largest body a page accepts (bytes). */
export declare const PAGE_BODY_LIMIT: number;
/** The path prefix of the route handlers (proxy.ts does not run for them). */
export declare const ROUTE_PREFIX: string;
/** The largest body a route handler under ROUTE_PREFIX may be sent (bytes). */
export declare const ROUTE_BODY_LIMIT: number;
/** The body limit for a request target: ROUTE_BODY_LIMIT under ROUTE_PREFIX, PAGE_BODY_LIMIT elsewhere. */
export declare function bodyLimitFor(target: string): number;
/** How much of a page request's body Next copies for proxy.ts (bytes). */
export declare const PROXY_BODY_COPY_LIMIT: number;
