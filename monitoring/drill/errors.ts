/** Base class of every failure the alarm drill reports to its caller before drilling starts. */
export class AlarmDrillError extends Error {
  override readonly name: string = 'AlarmDrillError';
}

/** The command line is incomplete or malformed; the message carries the usage line. */
export class DrillUsageError extends AlarmDrillError {
  override readonly name = 'DrillUsageError';
}

/** No alarm matched the stage prefix or the `--alarm` name. */
export class NoAlarmsToDrillError extends AlarmDrillError {
  override readonly name = 'NoAlarmsToDrillError';
}
