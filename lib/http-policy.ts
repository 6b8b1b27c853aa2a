// What every response must carry and how large a request body may be, for lib/server and the
// tests. The values live in http-policy.mjs, JavaScript, which next.config.mjs imports too.
export {
  bodyLimitFor,
  PAGE_BODY_LIMIT,
  PROXY_BODY_COPY_LIMIT,
  ROUTE_BODY_LIMIT,
  ROUTE_PREFIX,
  SECURITY_HEADERS,
} from './http-policy.mjs';
