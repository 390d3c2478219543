/** Errors of `npm run slo:generate`; their message is shown as is. */
export class GenerateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenerateError';
  }
}
