/**
 * The adapter around @actions/expressions the workflow tests rely on: workflow strings read as GitHub's
 * template reader reads them, plain values converted into the library's data and back, and what the
 * library cannot evaluate reported rather than guessed. The expression language itself is the
 * library's, tested by its authors.
 */
import {
  evaluateCondition,
  evaluateExpression,
  evaluateString,
  evaluateValue,
  templateExpression,
} from './support/actions-expression';

const pullRequest = { number: 7, draft: false, title: null, labels: [{ name: 'performance' }, { name: 'docs' }] };
const contexts = {
  github: { event_name: 'pull_request', event: { pull_request: pullRequest } },
  inputs: { scenario: 'inbox_polling', 'execution-arn': 'arn:x', empty: '' },
  matrix: { scenario: 'stress_test' },
};

describe('templateExpression', () => {
  it('reads a string that is exactly one ${{ }} as that expression', () => {
    expect(templateExpression('${{ matrix.scenario }}')).toBe('matrix.scenario');
    expect(templateExpression('plain text, {0} and }}')).toBeUndefined();
  });

  it('turns text around expressions into format(), its quotes and braces escaped', () => {
    expect(templateExpression("it's {x}: ${{ matrix.scenario }}/${{ github.event_name }}")).toBe(
      "format('it''s {{x}}: {0}/{1}', matrix.scenario, github.event_name)",
    );
    expect(templateExpression(' ${{ matrix.scenario }}')).toBe("format(' {0}', matrix.scenario)");
  });

  it('ends an expression at the first }} outside a quoted string', () => {
    expect(templateExpression("${{ format('{0}}}', matrix.scenario) }}-x")).toBe(
      "format('{0}-x', format('{0}}}', matrix.scenario))",
    );
  });

  it('refuses an unclosed or empty ${{', () => {
    expect(() => templateExpression('group-${{ matrix.scenario')).toThrow(/no }} closes/);
    expect(() => templateExpression('group-${{ }}')).toThrow(/empty/);
  });
});

describe('evaluateValue', () => {
  it('interpolates each expression among text', () => {
    expect(evaluateValue('load-${{ matrix.scenario }}-${{ github.event.pull_request.number }}', contexts)).toBe(
      'load-stress_test-7',
    );
    expect(evaluateValue("it's {0}: ${{ format('{0}}}', matrix.scenario) }}", contexts)).toBe("it's {0}: stress_test}");
  });

  it('gives a lone expression its own value, converted to plain values', () => {
    expect(evaluateValue("${{ github.event_name == 'pull_request' }}", contexts)).toBe(true);
    expect(evaluateValue('${{ github.event.pull_request.number }}', contexts)).toBe(7);
    expect(evaluateValue('${{ github.event.pull_request.labels.*.name }}', contexts)).toEqual(['performance', 'docs']);
    expect(evaluateValue('${{ github.event.pull_request }}', contexts)).toEqual(pullRequest);
    expect(evaluateValue('${{ github.event.issue }}', contexts)).toBeNull();
    expect(evaluateValue('${{ fromJSON(\'{"a": [1, true, null, "x"]}\') }}', contexts)).toEqual({
      a: [1, true, null, 'x'],
    });
  });

  it('leaves values without ${{ }} as they are', () => {
    expect(evaluateValue('plain', contexts)).toBe('plain');
    expect(evaluateValue(3, contexts)).toBe(3);
    expect(evaluateValue(undefined, contexts)).toBeNull();
  });
});

describe('value conversion', () => {
  it('hands the contexts to the library whole: nested objects, arrays, numbers, booleans and null', () => {
    expect(evaluateExpression('fromJSON(toJSON(github.event.pull_request))', contexts)).toEqual(pullRequest);
    expect(evaluateExpression('github.event.pull_request.title == null', contexts)).toBe(true);
    expect(evaluateExpression('github.event.pull_request.draft == false', contexts)).toBe(true);
    expect(evaluateExpression("inputs.execution-arn == 'ARN:X'", contexts)).toBe(true);
  });

  it('reads context and property names regardless of case, as GitHub does', () => {
    expect(evaluateExpression('GitHub.Event.Pull_Request.Number', contexts)).toBe(7);
  });

  it("converts values to strings by GitHub's rules", () => {
    expect(
      evaluateString(
        '${{ github.event.issue }}|${{ true }}|${{ 7 }}|${{ github.event }}|${{ github.event.pull_request.labels }}',
        contexts,
      ),
    ).toBe('|true|7|Object|Array');
    expect(evaluateString("${{ fromJSON('0.30000000000000004') }}", contexts)).toBe('0.3');
    expect(evaluateString('${{ github.event.pull_request.number }}', contexts)).toBe('7');
    expect(evaluateString('group', contexts)).toBe('group');
    expect(evaluateString(false, contexts)).toBe('false');
    expect(() => evaluateString({ group: 'x' }, contexts)).toThrow(/expected a string/);
  });
});

describe('evaluateCondition', () => {
  it('reads if: with or without ${{ }}, and holds when there is none', () => {
    expect(evaluateCondition("github.event_name == 'push'", contexts)).toBe(false);
    expect(evaluateCondition("${{ github.event_name == 'pull_request' }}", contexts)).toBe(true);
    expect(evaluateCondition(undefined, contexts)).toBe(true);
    expect(evaluateCondition(false, contexts)).toBe(false);
  });

  it('judges non-boolean results by truthiness', () => {
    expect(evaluateCondition('github.event.pull_request.number', contexts)).toBe(true);
    expect(evaluateCondition('inputs.empty', contexts)).toBe(false);
    expect(evaluateCondition('github.event.issue', contexts)).toBe(false);
  });

  it('reads ${{ }} among text as a string, always truthy, as GitHub does', () => {
    expect(evaluateCondition('${{ false }} && false', contexts)).toBe(true);
  });
});

describe('what cannot be evaluated', () => {
  it('reports a function the library does not provide', () => {
    expect(() => evaluateExpression('success()', contexts)).toThrow(
      /cannot evaluate 'success\(\)'.*Unrecognized function/,
    );
    expect(() => evaluateCondition("${{ !cancelled() && hashFiles('x') != '' }}", contexts)).toThrow(
      /Unrecognized function/,
    );
  });

  it('reports a context the test does not give', () => {
    expect(() => evaluateExpression('secrets.TOKEN', contexts)).toThrow(/Unrecognized named-value: 'secrets'/);
  });

  it('reports syntax errors', () => {
    expect(() => evaluateExpression('github.event_name ==', contexts)).toThrow(/Unexpected end of expression/);
    expect(() => evaluateExpression('contains(inputs.scenario, "x")', contexts)).toThrow(/Unexpected symbol/);
    expect(() => evaluateExpression("github.event_name = 'push'", contexts)).toThrow(/cannot evaluate/);
    expect(() => evaluateExpression("contains('x')", contexts)).toThrow(/Too few parameters/);
  });

  it('reports errors the evaluation meets', () => {
    expect(() => evaluateExpression("format('{0}-{1}', matrix.scenario)", contexts)).toThrow(/more arguments/);
    expect(() => evaluateExpression("fromJSON('{')", contexts)).toThrow(/cannot evaluate/);
  });
});
