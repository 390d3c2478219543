/**
 * The worker thread behind actions-expression.ts: evaluates one GitHub Actions expression with
 * @actions/expressions, GitHub's own lexer, parser and evaluator. The package ships only ES modules,
 * which jest's CommonJS runtime cannot load, so it runs here, in plain Node, called synchronously
 * through synckit (as jest itself runs prettier for inline snapshots).
 */
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import { runAsWorker } from 'synckit';

runAsWorker((expression, contexts) => {
  const dictionary = JSON.parse(JSON.stringify(contexts), data.reviver);
  const names = dictionary.pairs().map((pair) => pair.key);
  const tree = new Parser(new Lexer(expression).lex().tokens, names, []).parse();
  const result = new Evaluator(tree, dictionary).evaluate();
  return {
    value: JSON.parse(JSON.stringify(result, data.replacer)),
    text: result.coerceString(),
    truthy: truthy(result),
  };
});
