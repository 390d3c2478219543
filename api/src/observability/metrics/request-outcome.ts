/** True for responses that count against the success rate: 4xx are the client's doing, so only 5xx do. */
export function isServerError(statusCode: number): boolean {
  return statusCode >= 500;
}

/** True for responses that carry an error body (4xx and 5xx). */
export function isErrorResponse(statusCode: number): boolean {
  return statusCode >= 400;
}
