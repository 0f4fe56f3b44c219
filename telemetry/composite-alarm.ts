import * as ohm from 'ohm-js';
import type { AlarmStateValue } from './types.ts';

/**
 * Composite alarms (`AWS::CloudWatch::CompositeAlarm`, PutCompositeAlarm): an `AlarmRule` over the
 * states of other alarms — `ALARM(name)`, `OK(name)`, `INSUFFICIENT_DATA(name)` with the name (or
 * ARN) bare or in double quotes, `AND`, `OR`, `NOT`, parentheses, `TRUE`, `FALSE`. NOT binds tightest,
 * then AND, then OR. A composite is OK or ALARM after its first evaluation: AWS — "for a composite
 * alarm, this initial time after creation is the only time that the alarm can be in
 * INSUFFICIENT_DATA state".
 */
const grammar = ohm.grammar(String.raw`
AlarmRule {
  Rule = Or
  Or = Or or And  -- or
     | And
  And = And and Not  -- and
      | Not
  Not = not Not  -- not
      | Primary
  Primary = "(" Rule ")"  -- paren
          | stateFn "(" alarmRef ")"  -- state
          | true  -- true
          | false  -- false
  stateFn = "ALARM" | "OK" | "INSUFFICIENT_DATA"
  alarmRef = quoted | bare
  quoted = "\"" qchar* "\""
  qchar = "\\\"" -- escaped
        | ~"\"" any -- plain
  bare = (~(space | "(" | ")" | "\"") any)+
  or = "OR" ~wordChar
  and = "AND" ~wordChar
  not = "NOT" ~wordChar
  true = "TRUE" ~wordChar
  false = "FALSE" ~wordChar
  wordChar = alnum | "_"
}
`);

export type AlarmRuleNode =
  | { kind: 'state'; state: AlarmStateValue; alarm: string }
  | { kind: 'const'; value: boolean }
  | { kind: 'not'; arg: AlarmRuleNode }
  | { kind: 'and' | 'or'; left: AlarmRuleNode; right: AlarmRuleNode };

export class AlarmRuleSyntaxError extends Error {
  override readonly name = 'AlarmRuleSyntaxError';
}

/** `arn:aws:cloudwatch:region:account:alarm:Name With Spaces` → the alarm's name. */
function alarmNameOf(ref: string): string {
  const arn = /^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)$/.exec(ref);
  return arn ? arn[1]! : ref;
}

const semantics = grammar.createSemantics().addOperation<AlarmRuleNode>('ast', {
  Or_or: (l, _op, r) => ({ kind: 'or', left: l.ast(), right: r.ast() }),
  And_and: (l, _op, r) => ({ kind: 'and', left: l.ast(), right: r.ast() }),
  Not_not: (_op, arg) => ({ kind: 'not', arg: arg.ast() }),
  Primary_paren: (_l, rule, _r) => rule.ast(),
  Primary_state: (fn, _l, ref, _r) => {
    const text = ref.sourceString;
    const name = text.startsWith('"') ? text.slice(1, -1).replace(/\\"/g, '"') : text;
    return { kind: 'state', state: fn.sourceString as AlarmStateValue, alarm: alarmNameOf(name) };
  },
  Primary_true: (_t) => ({ kind: 'const', value: true }),
  Primary_false: (_f) => ({ kind: 'const', value: false }),
});

/** Parses an AlarmRule; throws {@link AlarmRuleSyntaxError} with the position. Pure. */
export function parseAlarmRule(rule: string): AlarmRuleNode {
  const match = grammar.match(rule);
  if (match.failed()) {
    throw new AlarmRuleSyntaxError(
      `cannot parse AlarmRule "${rule}": ${match.shortMessage ?? 'syntax error'}`,
    );
  }
  return semantics(match).ast();
}

/** The alarms a rule names, in order of appearance, without duplicates. */
export function ruleAlarmNames(node: AlarmRuleNode): string[] {
  const out = new Set<string>();
  const walk = (n: AlarmRuleNode): void => {
    if (n.kind === 'state') out.add(n.alarm);
    else if (n.kind === 'not') walk(n.arg);
    else if (n.kind === 'and' || n.kind === 'or') {
      walk(n.left);
      walk(n.right);
    }
  };
  walk(node);
  return [...out];
}

export function evaluateAlarmRule(node: AlarmRuleNode, stateOf: (alarm: string) => AlarmStateValue): boolean {
  switch (node.kind) {
    case 'const':
      return node.value;
    case 'state':
      return stateOf(node.alarm) === node.state;
    case 'not':
      return !evaluateAlarmRule(node.arg, stateOf);
    case 'and':
      return evaluateAlarmRule(node.left, stateOf) && evaluateAlarmRule(node.right, stateOf);
    case 'or':
      return evaluateAlarmRule(node.left, stateOf) || evaluateAlarmRule(node.right, stateOf);
  }
}

/** A child's state and when it entered it (ms on the alarm clock). */
export interface ChildState {
  state: AlarmStateValue;
  since: number;
}

export interface CompositeEvaluation {
  state: 'OK' | 'ALARM';
  reason: string;
  changed: boolean;
  at: number;
  /** The children the rule names and their states at this evaluation. */
  children: { alarm: string; state: AlarmStateValue }[];
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** CloudWatch's composite reason time: `Friday 04 December, 2020 19:00:54 UTC`. */
export function formatCompositeReasonTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${WEEKDAYS[d.getUTCDay()]} ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]}, ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`;
}

/**
 * Evaluates a composite alarm from its children's states (evaluated before it, at the same moment).
 * The reason names the child whose transition decided the state, the way CloudWatch writes it:
 * `<alarm> transitioned to ALARM at Friday 04 December, 2020 19:00:54 UTC`. Pure.
 */
export function evaluateCompositeAlarm(
  rule: AlarmRuleNode,
  input: {
    now: number;
    previousState: AlarmStateValue;
    children: ReadonlyMap<string, ChildState>;
    /** Maps the alarm clock to epoch ms for reasons. @defaultValue identity */
    reasonTime?: (alarmMs: number) => number;
  },
): CompositeEvaluation {
  const stateOf = (alarm: string) => input.children.get(alarm)?.state ?? 'INSUFFICIENT_DATA';
  const names = ruleAlarmNames(rule);
  const state = evaluateAlarmRule(rule, stateOf) ? 'ALARM' : 'OK';
  // The most recent transition among the children is what changed the rule's outcome.
  const latest = names
    .map((alarm) => ({ alarm, child: input.children.get(alarm) }))
    .filter((c) => c.child !== undefined)
    .sort((a, b) => b.child!.since - a.child!.since)[0];
  const toEpoch = input.reasonTime ?? ((ms: number) => ms);
  const reason = latest
    ? `${latest.alarm} transitioned to ${latest.child!.state} at ${formatCompositeReasonTime(toEpoch(latest.child!.since))}`
    : `AlarmRule evaluated to ${state === 'ALARM' ? 'TRUE' : 'FALSE'}`;
  return {
    state,
    reason,
    changed: state !== input.previousState,
    at: input.now,
    children: names.map((alarm) => ({ alarm, state: stateOf(alarm) })),
  };
}
