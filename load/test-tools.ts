import { existsSync } from 'node:fs';
import { findTool, type RequiredTool, requireTool } from '../core/tools.ts';

/**
 * `requireTool('k6')` for the load tests. Until `npm run setup` installs k6 into `.tools/bin`, the
 * machine's pre-built k6 (`/tmp/k6bin/k6`, see the team brief) is used through the documented
 * `OPSPROOF_K6` override.
 */
export function requireK6(): RequiredTool {
  const interim = '/tmp/k6bin/k6';
  if (!findTool('k6') && !process.env.OPSPROOF_K6 && existsSync(interim)) process.env.OPSPROOF_K6 = interim;
  return requireTool('k6');
}
