/** True for responses that count against the success rate: 4xx are the client's doing, so only 5xx do. */
export function isServerError(statusCode: number): boolean {
  return statusCode >= 500;
}

/** True for responses that carry an error body (4xx and 5xx). */
export function isErrorResponse(statusCode: number): boolean {
  return statusCode >= 400;
}

/** `2xx`, `4xx`, ...: a label with a handful of values, where a status code would have dozens. */
export function statusClass(statusCode: number): string {
  return `${Math.floor(statusCode / 100)}xx`;
}
