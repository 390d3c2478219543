/** Base of every error the migration handlers raise; `name` is what a Step Functions Catch matches on. */
export abstract class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A handler input is out of range; the message names the value received and the one expected. */
export class InvalidMigrationInputError extends MigrationError {}

/** The table to migrate does not exist. */
export class TableNotFoundError extends MigrationError {}

/** The index is missing from the table description. */
export class IndexNotFoundError extends MigrationError {}

/** The index exists but cannot be read yet (CREATING / backfilling, or DELETING). */
export class IndexNotActiveError extends MigrationError {}

/**
 * Verification ran past the time up to which its counts are safe from DynamoDB's TTL deletions: the
 * outcome is in doubt, so the index is kept for a rerun.
 */
export class VerificationTooSlowError extends MigrationError {}
