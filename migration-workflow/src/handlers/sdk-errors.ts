/** Name of an AWS SDK error (or undefined for anything else). */
export function sdkErrorName(error: unknown): string | undefined {
  return (error as { name?: unknown } | undefined)?.name as string | undefined;
}

/** True when DynamoDB answered that the table (or a resource it names) does not exist. */
export function isResourceNotFound(error: unknown): boolean {
  return sdkErrorName(error) === 'ResourceNotFoundException';
}

/**
 * The same error with `context` in front of its message: the cause a failed execution shows says where
 * it happened. The name is kept, because a Step Functions Retry or Catch matches on it.
 */
export function withContext(error: unknown, context: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const name = sdkErrorName(error) ?? 'Error';
  const failure = new Error(`${context}: ${name}: ${message}`, { cause: error });
  failure.name = name;
  return failure;
}
