import * as ohm from 'ohm-js';

/**
 * The CloudWatch metric math expression language ("Metric math syntax and functions", CloudWatch
 * User Guide) as a grammar. Functions and keywords are upper case, query ids start with a lower-case
 * letter; `AND`/`&&`, `OR`/`||`, `NOT`/`!`, the comparison operators, `+ - * / ^`, unary minus,
 * arrays `[a, b]`, strings (for `METRICS("filter")`) and numbers.
 *
 * Precedence, loosest first: OR, AND, NOT, comparison, + -, * /, unary minus, ^ (right-associative).
 * AWS does not document it; this is the usual order (NOT binds looser than a comparison, as in SQL).
 */
const grammar = ohm.grammar(String.raw`
MetricMath {
  Exp = Or
  Or = Or orOp And  -- or
     | And
  And = And andOp Not  -- and
      | Not
  Not = notOp Not  -- not
      | Cmp
  Cmp = Add cmpOp Add  -- cmp
      | Add
  Add = Add "+" Mul  -- add
      | Add "-" Mul  -- sub
      | Mul
  Mul = Mul "*" Unary  -- mul
      | Mul "/" Unary  -- div
      | Unary
  Unary = "-" Unary  -- neg
        | "+" Unary  -- pos
        | Pow
  Pow = Primary "^" Unary  -- pow
      | Primary
  Primary = "(" Exp ")"  -- paren
          | "[" ListOf<Exp, ","> "]"  -- array
          | name "(" ListOf<Exp, ","> ")"  -- call
          | number  -- number
          | string  -- string
          | name  -- keyword
          | id  -- ref

  orOp = "||" | "OR" ~nameChar
  andOp = "&&" | "AND" ~nameChar
  notOp = "!" ~"=" | "NOT" ~nameChar
  cmpOp = "==" | "!=" | "<=" | ">=" | "<" | ">"
  name = upper nameChar*
  nameChar = upper | digit | "_"
  id = lower (alnum | "_")*
  number = digit* "." digit+ exponent?  -- fraction
         | digit+ "."? exponent?  -- whole
  exponent = ("e" | "E") ("+" | "-")? digit+
  string = "\"" (~"\"" any)* "\""  -- straight
         | "\u201C" (~"\u201D" any)* "\u201D"  -- curly
}
`);

export type ComparisonOp = '==' | '!=' | '<=' | '>=' | '<' | '>';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '^';
export type LogicalOp = 'AND' | 'OR';

/** The syntax tree of one expression. */
export type MathNode =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ref'; id: string }
  /** A bare upper-case word: `REPEAT`, `LINEAR` (arguments of FILL). */
  | { kind: 'keyword'; name: string }
  | { kind: 'call'; name: string; args: MathNode[] }
  | { kind: 'array'; items: MathNode[] }
  | { kind: 'negate'; arg: MathNode }
  | { kind: 'not'; arg: MathNode }
  | { kind: 'binary'; op: ArithmeticOp | ComparisonOp | LogicalOp; left: MathNode; right: MathNode };

export class MetricMathSyntaxError extends Error {
  override readonly name = 'MetricMathSyntaxError';
}

const semantics = grammar.createSemantics().addOperation<MathNode>('ast', {
  Or_or: (l, _op, r) => ({ kind: 'binary', op: 'OR', left: l.ast(), right: r.ast() }),
  And_and: (l, _op, r) => ({ kind: 'binary', op: 'AND', left: l.ast(), right: r.ast() }),
  Not_not: (_op, arg) => ({ kind: 'not', arg: arg.ast() }),
  Cmp_cmp: (l, op, r) => ({
    kind: 'binary',
    op: op.sourceString as ComparisonOp,
    left: l.ast(),
    right: r.ast(),
  }),
  Add_add: (l, _op, r) => ({ kind: 'binary', op: '+', left: l.ast(), right: r.ast() }),
  Add_sub: (l, _op, r) => ({ kind: 'binary', op: '-', left: l.ast(), right: r.ast() }),
  Mul_mul: (l, _op, r) => ({ kind: 'binary', op: '*', left: l.ast(), right: r.ast() }),
  Mul_div: (l, _op, r) => ({ kind: 'binary', op: '/', left: l.ast(), right: r.ast() }),
  Unary_neg: (_op, arg) => ({ kind: 'negate', arg: arg.ast() }),
  Unary_pos: (_op, arg) => arg.ast(),
  Pow_pow: (l, _op, r) => ({ kind: 'binary', op: '^', left: l.ast(), right: r.ast() }),
  Primary_paren: (_l, e, _r) => e.ast(),
  Primary_array: (_l, items, _r) => ({
    kind: 'array',
    items: items.asIteration().children.map((c) => c.ast()),
  }),
  Primary_call: (name, _l, args, _r) => ({
    kind: 'call',
    name: name.sourceString,
    args: args.asIteration().children.map((c) => c.ast()),
  }),
  Primary_number: (n) => ({ kind: 'number', value: Number(n.sourceString) }),
  Primary_string: (s) => ({ kind: 'string', value: s.sourceString.slice(1, -1) }),
  Primary_keyword: (n) => ({ kind: 'keyword', name: n.sourceString }),
  Primary_ref: (id) => ({ kind: 'ref', id: id.sourceString }),
});

/** Parses an expression; throws {@link MetricMathSyntaxError} with ohm's position message. Pure. */
export function parseMetricMath(expression: string): MathNode {
  const match = grammar.match(expression);
  if (match.failed()) {
    throw new MetricMathSyntaxError(`cannot parse "${expression}": ${match.shortMessage ?? 'syntax error'}`);
  }
  return semantics(match).ast();
}

/** Every query id an expression names, in order of appearance (without duplicates). */
export function referencedIds(node: MathNode): string[] {
  const out = new Set<string>();
  const walk = (n: MathNode): void => {
    switch (n.kind) {
      case 'ref':
        out.add(n.id);
        return;
      case 'call':
        n.args.forEach(walk);
        return;
      case 'array':
        n.items.forEach(walk);
        return;
      case 'negate':
      case 'not':
        walk(n.arg);
        return;
      case 'binary':
        walk(n.left);
        walk(n.right);
        return;
      default:
        return;
    }
  };
  walk(node);
  return [...out];
}

/** Whether the expression calls `name` anywhere (e.g. METRICS, which depends on every metric query). */
export function callsFunction(node: MathNode, name: string): boolean {
  switch (node.kind) {
    case 'call':
      return node.name === name || node.args.some((a) => callsFunction(a, name));
    case 'array':
      return node.items.some((a) => callsFunction(a, name));
    case 'negate':
    case 'not':
      return callsFunction(node.arg, name);
    case 'binary':
      return callsFunction(node.left, name) || callsFunction(node.right, name);
    default:
      return false;
  }
}
