import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addTriggersApiStacks } from '../../../cdk-stacks';
import { aslFromTemplate } from '../../../migration-workflow/infra/migration-definition';

/** Asset hashes change with every code change; they are not what the snapshots guard. */
function normalized(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function countByType(resources: Resources): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { Type } of Object.values(resources)) counts[Type] = (counts[Type] ?? 0) + 1;
  return counts;
}

/**
 * Every resource of a stage's three stacks, as `cdk synth` writes them. What each stack holds is spelled out
 * as counts per resource type; each resource then has its own snapshot (the state machines as readable ASL),
 * so a change is reviewed resource by resource in the pull request (`jest -u` rewrites them), next to the
 * SLO diff.
 */
describe('the synthesized templates of a stage', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = addTriggersApiStacks(app, { stage: 'Production', version: '0.0.0-test' });
  const templates = {
    api: Template.fromStack(stacks.api),
    migration: Template.fromStack(stacks.migration),
    monitoring: Template.fromStack(stacks.monitoring),
  };
  const resourcesOf = (stack: keyof typeof templates) => templates[stack].toJSON().Resources as Resources;

  it.each([
    [
      'api',
      {
        'AWS::ApiGatewayV2::Api': 1,
        'AWS::ApiGatewayV2::Integration': 1,
        'AWS::ApiGatewayV2::Route': 1,
        'AWS::ApiGatewayV2::Stage': 1,
        'AWS::DynamoDB::Table': 2,
        // The API's execution role, the control resource's and its provider's.
        'AWS::IAM::Policy': 3,
        'AWS::IAM::Role': 3,
        // The API, the control resource's handler, the provider framework's function.
        'AWS::Lambda::Function': 3,
        'AWS::Lambda::Permission': 1,
        // One per function, and the stage's access log.
        'AWS::Logs::LogGroup': 4,
        'AWS::SecretsManager::Secret': 1,
        'Custom::EventIdIndexControl': 1,
      },
    ],
    [
      'migration',
      {
        // The two state machines' roles and the two functions'.
        'AWS::IAM::Policy': 4,
        'AWS::IAM::Role': 4,
        'AWS::Lambda::Function': 2,
        'AWS::Logs::LogGroup': 4,
        'AWS::StepFunctions::StateMachine': 2,
      },
    ],
    [
      'monitoring',
      {
        'AWS::CloudWatch::Alarm': 76,
        'AWS::CloudWatch::CompositeAlarm': 40,
        'AWS::CloudWatch::Dashboard': 2,
        'AWS::Logs::QueryDefinition': 6,
        'AWS::SNS::Topic': 2,
        'AWS::SNS::TopicPolicy': 2,
      },
    ],
  ] as const)('the %s stack holds exactly these resources', (stack, expected) => {
    expect(countByType(resourcesOf(stack))).toEqual(expected);
  });

  it.each(['api', 'migration', 'monitoring'] as const)(
    'each resource of the %s stack matches its reviewed snapshot',
    (stack) => {
      const resources = resourcesOf(stack);
      for (const id of Object.keys(resources).sort()) {
        const resource = resources[id];
        if (!resource) continue;
        const { Type } = resource;
        expect(normalized(resource)).toMatchSnapshot(`${stack} ${Type} ${id}`);
      }
    },
  );

  it('the migration state machines, as the ASL Step Functions runs', () => {
    const { segmentDefinition, ...main } = aslFromTemplate(templates.migration);
    expect(main).toMatchSnapshot('main state machine');
    expect(segmentDefinition).toMatchSnapshot('segment state machine');
  });
});
