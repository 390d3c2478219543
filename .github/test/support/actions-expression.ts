/**
 * GitHub Actions expressions (`${{ … }}`) evaluated by GitHub's own implementation,
 * @actions/expressions, for the workflow tests: plain context objects (`github`, `inputs`, `matrix`,
 * ...) go in, plain values come out. A workflow string holding `${{ }}` is read the way GitHub's
 * template reader reads it. Only the contexts a test passes exist, and only the library's functions
 * (no status functions, no hashFiles): anything else is an error, so that a test never judges a
 * workflow on an expression it could not evaluate.
 */
import { join } from 'node:path';
import { createSyncFn } from 'synckit';

/** A value an expression can produce. */
export type ExpressionValue = null | boolean | number | string | ExpressionValue[] | { [key: string]: ExpressionValue };

/** The contexts an expression reads: `github`, `inputs`, `matrix`, ... */
export type ExpressionContexts = Record<string, ExpressionValue>;

/** One expression's result: its value, its value converted to a string, and whether it is truthy. */
interface Evaluated {
  value: ExpressionValue;
  text: string;
  truthy: boolean;
}

// The library ships only ES modules, which jest's CommonJS runtime cannot load: it runs in a worker thread.
const evaluateInWorker = createSyncFn<(expression: string, contexts: ExpressionContexts) => Evaluated>(
  join(__dirname, 'actions-expression.worker.mjs'),
  { timeout: 20_000 },
);

function evaluate(expression: string, contexts: ExpressionContexts): Evaluated {
  try {
    return evaluateInWorker(expression, contexts);
  } catch (error) {
    throw new Error(`cannot evaluate '${expression}': ${(error as Error).message}`, { cause: error });
  }
}

const OPEN = '${{';

/**
 * The expression a workflow string stands for, as GitHub's template reader builds it, or undefined when
 * the string holds no `${{`. An expression ends at the first `}}` outside a quoted string. A string
 * that is exactly one `${{ }}` is that expression; one with text around or between expressions becomes
 * `format()` of the text, so each value is converted to a string by GitHub's rules.
 */
export function templateExpression(text: string): string | undefined {
  if (!text.includes(OPEN)) return undefined;
  const literals: string[] = [];
  const expressions: string[] = [];
  let at = 0;
  for (let start = text.indexOf(OPEN); start >= 0; start = text.indexOf(OPEN, at)) {
    let end = -1;
    let quoted = false;
    for (let i = start + OPEN.length; i < text.length && end < 0; i++) {
      if (text[i] === "'") quoted = !quoted;
      else if (!quoted && text[i] === '}' && text[i - 1] === '}') end = i;
    }
    if (end < 0) throw new Error(`'${text}' opens an expression with \${{ that no }} closes`);
    const expression = text.slice(start + OPEN.length, end - 1).trim();
    if (!expression) throw new Error(`'${text}' holds an empty \${{ }}`);
    literals.push(text.slice(at, start));
    expressions.push(expression);
    at = end + 1;
  }
  literals.push(text.slice(at));
  if (expressions.length === 1 && literals.every((literal) => literal === '')) return expressions[0];
  const escape = (literal: string) => literal.replaceAll("'", "''").replaceAll('{', '{{').replaceAll('}', '}}');
  const format = literals.map((literal, index) => escape(literal) + (index < expressions.length ? `{${index}}` : ''));
  return `format('${format.join('')}'${expressions.map((expression) => `, ${expression}`).join('')})`;
}

/** Evaluates one expression (without the `${{ }}`) against the contexts. */
export function evaluateExpression(source: string, contexts: ExpressionContexts): ExpressionValue {
  return evaluate(source, contexts).value;
}

/**
 * A workflow value as the runner sees it: a string that is one `${{ }}` gives the expression's value,
 * a string with `${{ }}` among text gives the text with each value interpolated, anything else is itself.
 */
export function evaluateValue(value: unknown, contexts: ExpressionContexts): ExpressionValue {
  const expression = typeof value === 'string' ? templateExpression(value) : undefined;
  if (expression === undefined) return (value ?? null) as ExpressionValue;
  return evaluate(expression, contexts).value;
}

/** A workflow value where GitHub wants a string (a concurrency group, an env value): its value as a string. */
export function evaluateString(value: unknown, contexts: ExpressionContexts): string {
  if (typeof value === 'string') {
    const expression = templateExpression(value);
    return expression === undefined ? value : evaluate(expression, contexts).text;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return evaluate(JSON.stringify(value), contexts).text;
  throw new Error(`expected a string, got ${JSON.stringify(value)}`);
}

/**
 * An `if:` condition: an expression with or without `${{ }}` (GitHub reads a string holding `${{ }}`
 * as that template, and any other string as an expression); a missing condition holds.
 */
export function evaluateCondition(condition: unknown, contexts: ExpressionContexts): boolean {
  if (condition === undefined || condition === null) return true;
  if (typeof condition === 'boolean') return condition;
  if (typeof condition !== 'string') throw new Error(`an if: condition must be a string, got ${typeof condition}`);
  return evaluate(templateExpression(condition) ?? condition.trim(), contexts).truthy;
}
