export * from './backfill-segment';
export * from './create-index-request';
export * from './mark-verified';
export * from './rollback-index';
export * from './verify-event-id-index';
export { realSleep, WritePacer, type Clock, type Sleep } from './write-pacer';
export * from './verify-segments';
