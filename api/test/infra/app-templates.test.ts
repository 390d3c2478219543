import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addTriggersApiStacks } from '../../../cdk-stacks';

/** Asset hashes change with every code change; they are not what the snapshot guards. */
function normalized(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

describe('the synthesized templates of a stage', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { api, migration, monitoring } = addTriggersApiStacks(app, { stage: 'Production', version: '0.0.0-test' });
  const templates = {
    api: Template.fromStack(api).toJSON(),
    migration: Template.fromStack(migration).toJSON(),
    monitoring: Template.fromStack(monitoring).toJSON(),
  };

  it('contain the resources of every stack', () => {
    expect(Object.keys((templates.api as { Resources: object }).Resources).length).toBeGreaterThan(10);
    expect(Object.keys((templates.monitoring as { Resources: object }).Resources).length).toBeGreaterThan(50);
  });

  it.each(['api', 'migration', 'monitoring'] as const)('match the reviewed snapshot of the %s stack', (stack) => {
    // A change here is reviewed in the pull request (`jest -u` rewrites it), next to the SLO diff.
    expect(normalized(templates[stack])).toMatchSnapshot();
  });
});
