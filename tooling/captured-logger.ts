import type { Logger } from 'pino';
import { createLogger } from '../api/src/observability/logger';

export interface CapturedLogger {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[];
  /** The raw text written so far. */
  text(): string;
}

/** The API's real logger, writing into memory instead of stdout. */
export function captureLogger(level = 'info'): CapturedLogger {
  const chunks: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void chunks.push(line) } });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => chunks.join(''),
  };
}
