declare module 'asl-validator' {
  interface AslValidatorOptions {
    checkPaths?: boolean;
    checkArn?: boolean;
  }
  interface AslValidationResult {
    isValid: boolean;
    errors: { message: string }[];
    errorsText(separator?: string): string;
  }
  /** Validates an Amazon States Language definition against the ASL schemas and path rules. */
  export default function aslValidator(definition: unknown, options?: AslValidatorOptions): AslValidationResult;
}
