import type { AuditErrorCode } from 'src/features/audit/audit.errors.js';
import type { CodebaseErrorCode } from 'src/features/codebase/codebase.errors.js';
import type { ContextErrorCode } from 'src/features/context/context.errors.js';
import type { HandoffErrorCode } from 'src/features/handoffs/handoffs.errors.js';
import type { LifecycleErrorCode } from 'src/features/lifecycle/lifecycle.errors.js';
import type { SessionErrorCode } from 'src/features/sessions/sessions.errors.js';
import type { AccessErrorCode } from 'src/platform/access/access.errors.js';
import type { UNAVAILABLE } from 'src/platform/errors/unavailable.error.js';

// Every code a feature can raise, plus UNAVAILABLE for a dependency outage;
// the MCP and HTTP layers map each one.
export type BatonErrorCode = `${SessionErrorCode}` | `${ContextErrorCode}` | `${CodebaseErrorCode}` | `${HandoffErrorCode}` | `${LifecycleErrorCode}` | `${AuditErrorCode}` | `${AccessErrorCode}` | typeof UNAVAILABLE;
