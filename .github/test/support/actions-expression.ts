/**
 * GitHub Actions expressions (`${{ … }}`), evaluated the way the runner does for the subset the
 * workflows use: literals, context paths with `.*` filters and `[…]` indexes, `!`, comparisons,
 * `&&`, `||` (which return an operand, not a boolean), and the functions contains, startsWith,
 * endsWith, format, toJSON and fromJSON. Anything else throws, so that a test never judges a workflow
 * on an expression it misread. Semantics follow GitHub's "Evaluate expressions" reference: string
 * comparison ignores case, operands of different types compare as numbers, a missing property is null.
 */

/** A value an expression can produce. */
export type ExpressionValue = null | boolean | number | string | ExpressionValue[] | { [key: string]: ExpressionValue };

/** The contexts an expression reads: `github`, `inputs`, `matrix`, ... */
export type ExpressionContexts = Record<string, ExpressionValue>;

/** An array produced by a `.*` filter: a property read on it is read on each element. */
class Filtered extends Array<ExpressionValue> {}

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'name'; value: string }
  | { kind: 'punct'; value: string };

const PUNCTUATION = ['==', '!=', '<=', '>=', '&&', '||', '(', ')', '[', ']', '.', ',', '!', '<', '>', '*'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const rest = source.slice(at);
    const space = /^\s+/.exec(rest);
    if (space) {
      at += space[0].length;
      continue;
    }
    const string = /^'((?:[^']|'')*)'/.exec(rest);
    if (string) {
      tokens.push({ kind: 'string', value: (string[1] ?? '').replaceAll("''", "'") });
      at += string[0].length;
      continue;
    }
    const number = /^(?:0x[0-9a-f]+|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/i.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]) });
      at += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', value: name[0] });
      at += name[0].length;
      continue;
    }
    const punct = PUNCTUATION.find((candidate) => rest.startsWith(candidate));
    if (!punct) throw new Error(`unsupported character in expression '${source}' at ${at}`);
    tokens.push({ kind: 'punct', value: punct });
    at += punct.length;
  }
  return tokens;
}

/** Falsy as in GitHub: false, 0, -0, '', null, NaN. */
export function isTruthy(value: ExpressionValue): boolean {
  return !(
    value === null ||
    value === false ||
    value === '' ||
    (typeof value === 'number' && (value === 0 || isNaN(value)))
  );
}

function toNumber(value: ExpressionValue): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value.trim() === '' ? 0 : Number(value);
  return NaN;
}

/** How a value reads when interpolated into a string. */
export function asText(value: ExpressionValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return Array.isArray(value) ? 'Array' : 'Object';
}

function equals(left: ExpressionValue, right: ExpressionValue): boolean {
  if (typeof left === 'string' && typeof right === 'string') return left.toLowerCase() === right.toLowerCase();
  if (typeof left === typeof right && (typeof left !== 'object' || left === null || right === null)) {
    return left === right;
  }
  if (typeof left === 'object' && left !== null) return left === right;
  if (typeof right === 'object' && right !== null) return false;
  return toNumber(left) === toNumber(right);
}

function compare(operator: string, left: ExpressionValue, right: ExpressionValue): boolean {
  const [a, b] =
    typeof left === 'string' && typeof right === 'string'
      ? [left.toLowerCase(), right.toLowerCase()]
      : [toNumber(left), toNumber(right)];
  if (operator === '<') return a < b;
  if (operator === '<=') return a <= b;
  if (operator === '>') return a > b;
  return a >= b;
}

function property(target: ExpressionValue, key: string): ExpressionValue {
  if (target instanceof Filtered) {
    const picked = new Filtered();
    for (const element of target) {
      const value = property(element, key);
      if (value !== null) picked.push(value);
    }
    return picked;
  }
  if (Array.isArray(target)) {
    const index = Number(key);
    return Number.isInteger(index) ? (target[index] ?? null) : null;
  }
  if (target === null || typeof target !== 'object') return null;
  const found = Object.keys(target).find((name) => name.toLowerCase() === key.toLowerCase());
  return found === undefined ? null : (target[found] ?? null);
}

function filter(target: ExpressionValue): Filtered {
  const filtered = new Filtered();
  if (Array.isArray(target)) filtered.push(...target);
  else if (target !== null && typeof target === 'object') filtered.push(...Object.values(target));
  return filtered;
}

const FUNCTIONS: Record<string, (args: ExpressionValue[]) => ExpressionValue> = {
  contains: ([search = null, item = null]) =>
    Array.isArray(search)
      ? search.some((element) => equals(element, item))
      : asText(search).toLowerCase().includes(asText(item).toLowerCase()),
  startswith: ([text = null, prefix = null]) => asText(text).toLowerCase().startsWith(asText(prefix).toLowerCase()),
  endswith: ([text = null, suffix = null]) => asText(text).toLowerCase().endsWith(asText(suffix).toLowerCase()),
  format: ([template = null, ...values]) =>
    asText(template).replace(/\{(\d+)\}/g, (_, index: string) => asText(values[Number(index)] ?? null)),
  tojson: ([value = null]) => JSON.stringify(value, null, 2),
  fromjson: ([value = null]) => JSON.parse(asText(value)) as ExpressionValue,
};

/** Evaluates one expression (without the `${{ }}`) against the contexts. */
export function evaluateExpression(source: string, contexts: ExpressionContexts): ExpressionValue {
  const tokens = tokenize(source);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isPunct = (value: string): boolean => peek()?.kind === 'punct' && peek()?.value === value;
  const expect = (value: string): void => {
    if (!isPunct(value)) throw new Error(`expected '${value}' in expression '${source}'`);
    at++;
  };

  const primary = (): ExpressionValue => {
    const token = tokens[at++];
    if (!token) throw new Error(`unexpected end of expression '${source}'`);
    if (token.kind === 'number' || token.kind === 'string') return token.value;
    if (token.kind === 'punct' && token.value === '(') {
      const value = or();
      expect(')');
      return value;
    }
    if (token.kind !== 'name') throw new Error(`unexpected '${token.value}' in expression '${source}'`);
    const word = token.value;
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === 'null') return null;
    if (isPunct('(')) {
      const fn = FUNCTIONS[word.toLowerCase()];
      if (!fn) throw new Error(`unsupported function ${word}() in expression '${source}'`);
      at++;
      const args: ExpressionValue[] = [];
      while (!isPunct(')')) {
        args.push(or());
        if (!isPunct(')')) expect(',');
      }
      at++;
      return fn(args);
    }
    if (!Object.keys(contexts).some((name) => name.toLowerCase() === word.toLowerCase())) {
      throw new Error(`the test gives no '${word}' context for expression '${source}'`);
    }
    return property(contexts, word);
  };

  const postfix = (): ExpressionValue => {
    let value = primary();
    for (;;) {
      if (isPunct('.')) {
        at++;
        const next = tokens[at++];
        if (next?.kind === 'punct' && next.value === '*') value = filter(value);
        else if (next?.kind === 'name') value = property(value, next.value);
        else throw new Error(`expected a property name after '.' in expression '${source}'`);
      } else if (isPunct('[')) {
        at++;
        if (isPunct('*')) {
          at++;
          value = filter(value);
        } else value = property(value, asText(or()));
        expect(']');
      } else return value;
    }
  };

  const unary = (): ExpressionValue => {
    if (isPunct('!')) {
      at++;
      return !isTruthy(unary());
    }
    return postfix();
  };

  const comparison = (): ExpressionValue => {
    let left = unary();
    while (['<', '<=', '>', '>='].some((operator) => isPunct(operator))) {
      const operator = String(tokens[at++]?.value ?? '');
      left = compare(operator, left, unary());
    }
    return left;
  };

  const equality = (): ExpressionValue => {
    let left = comparison();
    while (isPunct('==') || isPunct('!=')) {
      const negate = tokens[at++]?.value === '!=';
      left = equals(left, comparison()) !== negate;
    }
    return left;
  };

  const and = (): ExpressionValue => {
    let left = equality();
    while (isPunct('&&')) {
      at++;
      const right = equality();
      left = isTruthy(left) ? right : left;
    }
    return left;
  };

  function or(): ExpressionValue {
    let left = and();
    while (isPunct('||')) {
      at++;
      const right = and();
      left = isTruthy(left) ? left : right;
    }
    return left;
  }

  const value = or();
  if (at !== tokens.length) throw new Error(`unexpected '${tokens[at]?.value ?? ''}' in expression '${source}'`);
  return value instanceof Filtered ? [...value] : value;
}

/**
 * A workflow value as the runner sees it: a string that is one `${{ }}` gives the expression's value,
 * a string with `${{ }}` among text gives the text with each value interpolated, anything else is itself.
 */
export function evaluateValue(value: unknown, contexts: ExpressionContexts): ExpressionValue {
  if (typeof value !== 'string') return (value ?? null) as ExpressionValue;
  const whole = /^\s*\$\{\{(.*?)\}\}\s*$/s.exec(value);
  if (whole && !whole[1]?.includes('}}')) return evaluateExpression(whole[1] ?? '', contexts);
  return value.replace(/\$\{\{(.*?)\}\}/gs, (_, source: string) => asText(evaluateExpression(source, contexts)));
}

/** An `if:` condition: an expression with or without `${{ }}`; a missing condition holds. */
export function evaluateCondition(condition: unknown, contexts: ExpressionContexts): boolean {
  if (condition === undefined || condition === null) return true;
  if (typeof condition === 'boolean') return condition;
  if (typeof condition !== 'string') throw new Error(`an if: condition must be a string, got ${typeof condition}`);
  const text = condition;
  return isTruthy(/^\s*\$\{\{/.test(text) ? evaluateValue(text, contexts) : evaluateExpression(text, contexts));
}
