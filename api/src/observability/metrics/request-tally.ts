import { isServerError } from './request-outcome';

/** Requests, 5xx, responses by status code and error responses by error type, over some span. */
export class RequestTally {
  requestCount = 0;
  serverErrors = 0;
  readonly byStatus = new Map<number, number>();
  readonly errorsByType = new Map<string, number>();

  add(statusCode: number, errorType: string | undefined): void {
    this.requestCount += 1;
    if (isServerError(statusCode)) this.serverErrors += 1;
    this.byStatus.set(statusCode, (this.byStatus.get(statusCode) ?? 0) + 1);
    if (errorType !== undefined) this.errorsByType.set(errorType, (this.errorsByType.get(errorType) ?? 0) + 1);
  }

  addTally(other: RequestTally): void {
    this.requestCount += other.requestCount;
    this.serverErrors += other.serverErrors;
    for (const [status, count] of other.byStatus) this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + count);
    for (const [type, count] of other.errorsByType)
      this.errorsByType.set(type, (this.errorsByType.get(type) ?? 0) + count);
  }

  clear(): void {
    this.requestCount = 0;
    this.serverErrors = 0;
    this.byStatus.clear();
    this.errorsByType.clear();
  }
}
