/**
 * The required structure of a CloudWatch Embedded Metric Format document, as the published specification
 * states it ("Specification: Embedded metric format", Amazon CloudWatch User Guide), checked field by field.
 */

/** Units a MetricDefinition may name: the CloudWatch `StandardUnit` list. */
export const CLOUDWATCH_UNITS: ReadonlySet<string> = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function dimensionSetViolations(root: Json, set: unknown, at: string): string[] {
  if (!Array.isArray(set)) return [`${at} must be an array`];
  const violations = set.length > 30 ? [`${at} has more than 30 keys`] : [];
  for (const key of set as unknown[]) {
    const value = typeof key === 'string' ? root[key] : undefined;
    if (typeof key !== 'string') violations.push(`${at} holds a non-string key`);
    else if (typeof value !== 'string') violations.push(`dimension '${key}' is not a string member of the root`);
    else if (value.length > 1024) violations.push(`dimension '${key}' is over 1024 characters`);
  }
  return violations;
}

function metricDefinitionViolations(root: Json, definition: unknown, at: string): string[] {
  if (!isObject(definition) || typeof definition.Name !== 'string') return [`${at} needs a string Name`];
  const { Name, Unit } = definition;
  const violations: string[] = [];
  if (Unit !== undefined && (typeof Unit !== 'string' || !CLOUDWATCH_UNITS.has(Unit))) {
    violations.push(`${at}.Unit ${JSON.stringify(Unit)} is not a CloudWatch unit`);
  }
  const value = root[Name];
  if (Array.isArray(value)) {
    if (value.length > 100) violations.push(`metric '${Name}' has more than 100 values`);
    if (!value.every(isFiniteNumber)) violations.push(`metric '${Name}' holds a non-number`);
  } else if (!isFiniteNumber(value)) {
    violations.push(`metric '${Name}' is not a number or an array of numbers at the root`);
  }
  return violations;
}

function directiveViolations(root: Json, directive: unknown, at: string): string[] {
  if (!isObject(directive)) return [`${at} is not an object`];
  const violations: string[] = [];
  const { Namespace, Dimensions, Metrics } = directive;
  if (typeof Namespace !== 'string' || Namespace.length < 1 || Namespace.length > 255) {
    violations.push(`${at}.Namespace must be a string of 1-255 characters`);
  }
  if (Array.isArray(Dimensions)) {
    Dimensions.forEach((set: unknown, i) =>
      violations.push(...dimensionSetViolations(root, set, `${at}.Dimensions[${i}]`)),
    );
  } else {
    violations.push(`${at}.Dimensions must be an array of DimensionSets`);
  }
  if (!Array.isArray(Metrics)) return [...violations, `${at}.Metrics must be an array`];
  if (Metrics.length > 100) violations.push(`${at}.Metrics has more than 100 definitions`);
  Metrics.forEach((definition: unknown, i) =>
    violations.push(...metricDefinitionViolations(root, definition, `${at}.Metrics[${i}]`)),
  );
  return violations;
}

/** What makes `document` an invalid EMF document; empty when it is valid. */
export function emfViolations(document: unknown): string[] {
  if (!isObject(document)) return ['the document is not a JSON object'];
  const metadata = document._aws;
  if (!isObject(metadata)) return ['_aws is missing or not an object'];
  const violations: string[] = [];
  const { Timestamp, CloudWatchMetrics } = metadata;
  // Milliseconds since the epoch: an integer, and far above any plausible count of seconds.
  if (!Number.isInteger(Timestamp) || (Timestamp as number) < 1e12) {
    violations.push('_aws.Timestamp must be an integer of milliseconds since the epoch');
  }
  if (!Array.isArray(CloudWatchMetrics)) return [...violations, '_aws.CloudWatchMetrics must be an array'];
  CloudWatchMetrics.forEach((directive: unknown, i) => {
    violations.push(...directiveViolations(document, directive, `_aws.CloudWatchMetrics[${i}]`));
  });
  return violations;
}
