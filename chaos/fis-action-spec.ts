/**
 * The shape of the FIS action catalog: an action's parameters, target and local family. A file of
 * its own so the table (fis-actions-data.ts), written in these types, and the catalog that reads it
 * (fis-catalog.ts, which re-exports them) do not import each other.
 */

export type ParameterKind =
  /** ISO-8601 duration, as FIS takes it (`PT1M`). */
  | 'duration'
  /** Whole percentage, `min`–`max` (0 or 1 to 100). */
  | 'percent'
  | 'integer'
  /** Decimal number in `min`–`max` (e.g. EBS `readIOPercentage` 0.1–100). */
  | 'number'
  | 'boolean'
  | 'string'
  /** Comma-separated list. */
  | 'list'
  /** A JSON object in a string (SSM `documentParameters`, EKS `kubernetesSpec`). */
  | 'json';

export interface FisParameter {
  kind: ParameterKind;
  required: boolean;
  /** Inclusive range for `integer`, `number` and `percent`. */
  min?: number;
  max?: number;
  /** Inclusive range of a `duration` in ms, as AWS documents it (FIS caps actions at 12 hours). */
  minMs?: number;
  maxMs?: number;
  /** Allowed values (`string` and `list` items). */
  values?: readonly string[];
  /** FIS's default when omitted. */
  default?: string;
  /** The form a `string` value must have, with an example for the message. */
  pattern?: { regex: RegExp; example: string };
  /** Required when another parameter has this value (e.g. `prefixListIdentifier` with scope `prefix-list`). */
  requiredWhen?: { parameter: string; value: string };
  description: string;
}

/**
 * How the local engine reads an action where its `family` alone does not say (build-local-plan.ts):
 * which of its parameters carry the delay, the share of requests, the status or the down time, and a
 * gateway fault or process op other than its family's. Data, so a new action needs no code.
 */
export interface LocalMapping {
  /** The gateway fault, when not the family's (`lambda-invocation` always names one). */
  fault?: 'latency' | 'error' | 'blackhole' | 'reset';
  /** The process op, when not the family's. */
  op?: 'kill' | 'stop' | 'pause';
  /** Parameter with the delay in ms (latency). */
  delayMs?: string;
  /** Parameter with the jitter in ms (latency). */
  jitterMs?: string;
  /** Parameters (percentages) whose product is the share of requests hit, e.g. lossPercent × flowsPercent. */
  percent?: readonly string[];
  /** Parameter with the HTTP status to answer (error). */
  status?: string;
  /** Parameter: how long a stopped process stays down before it is started again (default: at once). */
  downFor?: string;
  /** Parameter naming the signal sent: `SIGKILL` kills, any other stops gracefully. */
  signal?: string;
  /** Parameter whose value `all` means blackhole and any narrower scope reset. */
  scope?: string;
  /**
   * `aws:ssm:send-command`: the SSM documents (by name, the end of `documentArn`) that have a local
   * meaning; their parameters are read from `documentParameters`. Other documents are refused.
   */
  documents?: Readonly<Record<string, SsmDocumentMapping>>;
}

/** What an SSM document run by `aws:ssm:send-command` means locally. */
export interface SsmDocumentMapping {
  family: LocalFamily;
  /** Names of `documentParameters` keys, as {@link LocalMapping} names an action's parameters. */
  localMapping?: Omit<LocalMapping, 'documents'>;
  /** Values of `documentParameters` keys when they are omitted. */
  defaults?: Readonly<Record<string, string>>;
}

/**
 * The family of local effect an action belongs to (DESIGN.md, "Experiments"), for a local engine
 * that gives every action its meaning: network faults become gateway faults, stop / terminate /
 * reboot / failover become process faults of a named local target, Lambda invocation faults become
 * gateway latency / errors / status; the rest (`aws-api`, `stress`, `storage`, …) need a stand-in.
 */
export type LocalFamily =
  | 'network/latency'
  | 'network/packet-loss'
  | 'network/blackhole'
  | 'network/disrupt'
  | 'process/stop'
  | 'process/kill'
  | 'process/terminate'
  | 'process/reboot'
  | 'process/failover'
  | 'lambda-invocation'
  | 'aws-api'
  | 'stress'
  | 'storage'
  | 'replication-pause'
  | 'traffic-shift'
  | 'capacity'
  | 'kubernetes'
  | 'command'
  | 'wait'
  | 'assert-alarms';

export interface FisActionSpec {
  actionId: string;
  description: string;
  /** The resource type its target must have; `undefined` for actions without targets. */
  resourceType?: string;
  /** The key under `targets` (e.g. `Functions`). */
  targetKey?: string;
  parameters: Record<string, FisParameter>;
  family: LocalFamily;
  /** What the local engine reads of this action beyond its family. */
  localMapping?: LocalMapping;
  /** A former id AWS still lists: the id that replaced it. */
  replacedBy?: string;
}

/** A scenario of the FIS scenario library, by the catalog actions it is made of. */
export interface FisScenario {
  name: string;
  url: string;
  actions: readonly string[];
}
