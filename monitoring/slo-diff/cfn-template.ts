/** Synthesized templates keyed by stack name, as found in `cdk.out/<stack>.template.json`. */
export type TemplateSet = Readonly<Record<string, unknown>>;

/** One resource of a synthesized stack, with where it came from. */
export interface LocatedResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly properties: Record<string, unknown>;
}

/** Every resource of the given types across all stacks, in stack then template order. */
export function resourcesOfType(templates: TemplateSet, types: readonly string[]): LocatedResource[] {
  const found: LocatedResource[] = [];
  for (const [stack, template] of Object.entries(templates)) {
    const resources = isRecord(template) && isRecord(template.Resources) ? template.Resources : {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (isRecord(resource) && typeof resource.Type === 'string' && types.includes(resource.Type)) {
        found.push({ stack, logicalId, properties: isRecord(resource.Properties) ? resource.Properties : {} });
      }
    }
  }
  return found;
}

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
