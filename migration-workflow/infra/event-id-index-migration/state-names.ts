/**
 * Names of the migration's states that code outside the builders reads: the operator CLI's progress
 * printer and the local runner's event log. The builders name their states from here, so a rename cannot
 * leave a reader matching a state that no longer exists.
 */
export const StateNames = {
  waitForIndex: 'Wait for the index',
  isIndexActive: 'Is the index ACTIVE',
  indexActive: 'Index ACTIVE?',
  countPoll: 'Count the poll',
  outOfPolls: 'Out of polls?',
  backfillSegment: 'Backfill segment',
  segmentFinished: 'Segment finished?',
  carryOn: 'Carry on from the last key',
  segmentDone: 'Segment done',
  runSegment: 'Run segment',
  verifySegment: 'Verify segment',
  segmentVerified: 'Segment verified?',
  segmentCounted: 'Segment counted',
  waitForIndexToGo: 'Wait for the index to go',
  isIndexStillThere: 'Is the index still there',
  indexGone: 'Index gone?',
  describeIndex: 'Describe index',
  describeAfterDelete: 'Describe after delete',
  backfill: 'Backfill',
} as const;
