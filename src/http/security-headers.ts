import type { RequestHandler } from 'express';
import helmet from 'helmet';

// Security headers on every HTTP response. Baton serves JSON and event
// streams, never pages: the content security policy allows nothing to load
// or frame it, which a fetch or EventSource reader does not need anyway.
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
  });
}
