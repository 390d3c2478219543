/**
 * Renders CloudFormation values as strings, replacing intrinsic functions with `${...}` placeholders
 * (Fn::Sub notation) so tokenized names, rules and dashboard bodies can be compared and JSON-parsed.
 */

/** A value as one string: `Fn::Join` is joined, `Ref` becomes `${Name}`, `Fn::GetAtt` becomes `${Name.Attr}`. */
export function resolveTokens(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(resolveTokens).join(',');
  if (typeof value !== 'object') return '';
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) return JSON.stringify(value);
  const [fn, args] = entries[0] ?? ['', undefined];
  if (fn === 'Ref') return `\${${resolveTokens(args)}}`;
  if (fn === 'Fn::GetAtt')
    return `\${${Array.isArray(args) ? args.map(resolveTokens).join('.') : resolveTokens(args)}}`;
  if (fn === 'Fn::Join' && Array.isArray(args) && Array.isArray(args[1])) {
    const separator = typeof args[0] === 'string' ? args[0] : '';
    return (args[1] as unknown[]).map(resolveTokens).join(separator);
  }
  if (fn === 'Fn::Sub') return resolveTokens(Array.isArray(args) ? args[0] : args);
  // Any other intrinsic (Fn::Select, Fn::ImportValue...) stays an opaque placeholder.
  return `\${${fn}}`;
}
