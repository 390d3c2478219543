export * from './backfill-segment';
export * from './derived-item';
export * from '../../../contract/event-id-index-request';
export * from './verify-index';
export { realSleep, WritePacer, type Clock, type Sleep } from './write-pacer';
export * from './verify-segments';
export * from './migration-functions';
