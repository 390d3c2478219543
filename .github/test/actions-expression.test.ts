/** The expression evaluator the workflow tests rely on, held to GitHub's documented semantics. */
import { evaluateCondition, evaluateExpression, evaluateValue } from './support/actions-expression';

const contexts = {
  github: {
    event_name: 'pull_request',
    event: { pull_request: { number: 7, labels: [{ name: 'performance' }, { name: 'docs' }] } },
  },
  inputs: { scenario: 'inbox_polling', 'execution-arn': 'arn:x' },
  matrix: { scenario: 'stress_test' },
};

describe('evaluateExpression', () => {
  it.each([
    ["github.event_name == 'PULL_REQUEST'", true],
    ["github.event_name != 'push'", true],
    ['github.event.pull_request.number || github.ref', 7],
    ['github.event.issue.number || github.ref', null],
    ["github.event.pull_request.number && 'yes'", 'yes'],
    ["github.event.issue.number && 'yes'", null],
    ["contains(github.event.pull_request.labels.*.name, 'Performance')", true],
    ["contains(github.event.pull_request.labels.*.name, 'bug')", false],
    ["!contains(github.event.pull_request.labels.*.name, 'bug')", true],
    ["format('pr-{0}-{1}', github.event.pull_request.number, matrix.scenario)", 'pr-7-stress_test'],
    ["fromJSON(format('[{0}]', toJSON(inputs.scenario)))", ['inbox_polling']],
    ['inputs.execution-arn', 'arn:x'],
    ["github['event_name']", 'pull_request'],
    ['1 == true', true],
    ["'' == 0", true],
    ['(1 < 2) && (2 >= 2)', true],
  ])('%s -> %j', (expression, expected) => {
    expect(evaluateExpression(expression, contexts)).toEqual(expected);
  });

  it('refuses what it does not support instead of guessing', () => {
    expect(() => evaluateExpression('hashFiles("x")', contexts)).toThrow();
    expect(() => evaluateExpression('success()', contexts)).toThrow(/unsupported function success/);
    expect(() => evaluateExpression('secrets.TOKEN', contexts)).toThrow(/no 'secrets' context/);
  });
});

describe('evaluateValue and evaluateCondition', () => {
  it('interpolates expressions among text, and gives a lone expression its own value', () => {
    expect(evaluateValue('load-${{ matrix.scenario }}-${{ github.event.pull_request.number }}', contexts)).toBe(
      'load-stress_test-7',
    );
    expect(evaluateValue("${{ github.event_name == 'pull_request' }}", contexts)).toBe(true);
    expect(evaluateValue('plain', contexts)).toBe('plain');
  });

  it('reads if: with or without ${{ }}, and holds when there is none', () => {
    expect(evaluateCondition("github.event_name == 'push'", contexts)).toBe(false);
    expect(evaluateCondition("${{ github.event_name == 'pull_request' }}", contexts)).toBe(true);
    expect(evaluateCondition(undefined, contexts)).toBe(true);
  });
});
