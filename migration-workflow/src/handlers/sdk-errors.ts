/** Name of an AWS SDK error (or undefined for anything else). */
export function sdkErrorName(error: unknown): string | undefined {
  return (error as { name?: unknown } | undefined)?.name as string | undefined;
}

/** True when DynamoDB answered that the table (or a resource it names) does not exist. */
export function isResourceNotFound(error: unknown): boolean {
  return sdkErrorName(error) === 'ResourceNotFoundException';
}
