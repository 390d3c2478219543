export * from './backfill-segment';
export * from '../../../contract/event-id-index-request';
export * from './verify-event-id-index';
export { realSleep, WritePacer, type Clock, type Sleep } from './write-pacer';
export * from './verify-segments';
export * from './migration-functions';
