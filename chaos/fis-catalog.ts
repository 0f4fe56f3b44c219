/**
 * The FIS actions opsproof knows — every action of the AWS FIS actions reference, with its
 * parameters and target key (the table is `fis-actions-data.ts`, with its source and date) — and
 * how each maps to a local effect (its `family`, and `localMapping` where the family is not
 * enough). Validation of experiments reads this catalog.
 */
import type { FisActionSpec } from './fis-action-spec.ts';
import { FIS_ACTION_TABLE, FIS_SCENARIOS } from './fis-actions-data.ts';

export type {
  FisActionSpec,
  FisParameter,
  FisScenario,
  LocalFamily,
  LocalMapping,
  ParameterKind,
  SsmDocumentMapping,
} from './fis-action-spec.ts';
export { FIS_CATALOG_SOURCE } from './fis-actions-data.ts';

export const FIS_ACTIONS: Record<string, FisActionSpec> = FIS_ACTION_TABLE;
export { FIS_SCENARIOS };

export function findFisAction(actionId: string): FisActionSpec | undefined {
  return Object.hasOwn(FIS_ACTIONS, actionId) ? FIS_ACTIONS[actionId] : undefined;
}

/** The alarm name from an alarm ARN (`arn:aws:cloudwatch:eu-west-1:123:alarm:Name` → `Name`), or the name itself. */
export function alarmNameFromArn(value: string): string {
  const match = /^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)$/.exec(value.trim());
  return match ? match[1]! : value.trim();
}
