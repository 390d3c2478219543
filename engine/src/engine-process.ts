/**
 * Entry point of the engine child process started by startEmbeddedEngine: runs the engine in this
 * process, reports its port over IPC and exits when the parent closes the channel or goes away.
 * SIGINT and SIGTERM are ignored while the parent is connected: a signal sent to the whole process group
 * (Ctrl-C, systemd) must not stop the engine under requests the parent is still finishing; the parent
 * closes the channel once it has drained them.
 */
import { startEmbeddedEngine, type EmbeddedEngineOptions, type EngineProcessMessage } from './embedded-engine';

function send(message: EngineProcessMessage): void {
  if (process.connected) process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('engine-process is started by startEmbeddedEngine, with an IPC channel');
  const options = JSON.parse(process.argv[2] ?? '{}') as EmbeddedEngineOptions;

  let engine;
  try {
    engine = await startEmbeddedEngine({ ...options, mode: 'in-process' });
  } catch (error) {
    // The parent reads the reason, then ends this process; exiting first could lose the message.
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.once('disconnect', () => process.exit(1));
    return;
  }

  const running = engine;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running
      .close()
      .catch((error: unknown) => console.error('Embedded DynamoDB engine did not close cleanly:', error))
      .finally(() => process.exit(0));
  };
  const onSignal = (): void => {
    // Without a parent nobody else will stop the engine.
    if (!process.connected) stop();
  };
  process.on('disconnect', stop).on('SIGTERM', onSignal).on('SIGINT', onSignal);
  if (!process.connected) return stop();
  send({ type: 'ready', port: running.port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
