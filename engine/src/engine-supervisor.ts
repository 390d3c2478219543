import type { Logger } from 'pino';
import {
  startEmbeddedEngine,
  type EmbeddedEngine,
  type EmbeddedEngineOptions,
  type EngineExit,
} from './embedded-engine';

/**
 * - `running`: the engine serves requests;
 * - `restarting`: it exited unexpectedly and is being started again;
 * - `failed`: every restart attempt failed; the supervisor has given up;
 * - `stopping` / `stopped`: the owner is closing it; an exit now is final.
 */
export type EngineState = 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped';

/** The engine's state and, when it is not running, why: what `/v1/health` reports. */
export interface EngineStatus {
  state: EngineState;
  reason?: string;
}

export interface EngineSupervisorOptions {
  /** How to start the engine; restarts reuse them on the first engine's port. */
  engine: EmbeddedEngineOptions;
  logger: Logger;
  /**
   * Prepares a restarted engine before it serves again (tables, the development key). A failure counts as a
   * failed attempt: the engine is closed and started again after the next delay.
   */
  onRestart?: (engine: EmbeddedEngine) => Promise<void>;
  /** Called once when every restart attempt has failed. */
  onGiveUp?: (error: Error) => void;
  /** Delay before each restart attempt; their number bounds the attempts. */
  restartDelaysMs?: readonly number[];
  /** An engine that ran this long is healthy again: the next exit starts over from the first delay. */
  stableAfterMs?: number;
  /** Starts an engine (tests inject failures here); `startEmbeddedEngine` by default. */
  start?: (options: EmbeddedEngineOptions) => Promise<EmbeddedEngine>;
}

export interface SupervisedEngine {
  readonly endpoint: string;
  readonly port: number;
  /** The current engine's process id (changes with each restart). */
  pid(): number;
  status(): EngineStatus;
  /** From now on an exit is final: called when shutdown begins, so no engine is restarted under a draining server. */
  stopRestarting(): void;
  /** Stops restarting, waits for a restart under way, and closes the engine. */
  close(): Promise<void>;
}

/** About 16 s of delays over 7 attempts: long enough for a port or data directory to be released. */
const RESTART_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000, 8000] as const;
const STABLE_AFTER_MS = 10_000;

/**
 * Starts the embedded engine and restarts it, on the same port and data directory, when its process exits
 * unexpectedly: with growing delays, a bounded number of times, logging the exit, each attempt and the
 * recovery. An engine that keeps dying soon after each restart uses up the same attempts.
 */
export async function startSupervisedEngine(options: EngineSupervisorOptions): Promise<SupervisedEngine> {
  const start = options.start ?? startEmbeddedEngine;
  const first = await start(options.engine);
  return new EngineSupervisor(first, { ...options, start });
}

class EngineSupervisor implements SupervisedEngine {
  readonly endpoint: string;
  readonly port: number;
  private engine: EmbeddedEngine;
  private state: EngineState = 'running';
  private reason: string | undefined;
  /** Restart attempts since the engine last ran stably; indexes the delays. */
  private attempts = 0;
  private runningSince = Date.now();
  private restarting: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly delays: readonly number[];
  private readonly log: Logger;

  constructor(
    first: EmbeddedEngine,
    private readonly options: EngineSupervisorOptions & Required<Pick<EngineSupervisorOptions, 'start'>>,
  ) {
    this.engine = first;
    this.endpoint = first.endpoint;
    this.port = first.port;
    this.delays = options.restartDelaysMs ?? RESTART_DELAYS_MS;
    this.log = options.logger.child({ component: 'embedded-engine' });
    this.watch(first);
  }

  pid(): number {
    return this.engine.pid;
  }

  status(): EngineStatus {
    return this.reason === undefined ? { state: this.state } : { state: this.state, reason: this.reason };
  }

  stopRestarting(): void {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.reason = 'the server is shutting down';
    this.wake?.();
  }

  async close(): Promise<void> {
    this.stopRestarting();
    await this.restarting;
    await this.engine.close();
    this.state = 'stopped';
  }

  private watch(engine: EmbeddedEngine): void {
    void engine.exited.then((exit) => {
      if (engine === this.engine) this.onExit(engine, exit);
    });
  }

  private onExit(engine: EmbeddedEngine, exit: EngineExit): void {
    if (this.state !== 'running') return;
    const storage = this.options.engine.dataDir ?? 'in memory';
    this.log.error(
      { engine_pid: engine.pid, exit_code: exit.code, signal: exit.signal, port: this.port, data: storage },
      'The embedded DynamoDB engine exited unexpectedly',
    );
    if (Date.now() - this.runningSince >= (this.options.stableAfterMs ?? STABLE_AFTER_MS)) this.attempts = 0;
    this.state = 'restarting';
    this.reason = `the embedded DynamoDB engine exited (${describeExit(exit)}) and is restarting`;
    this.restarting = this.restart(Date.now());
  }

  private async restart(downSince: number): Promise<void> {
    let lastError: Error | undefined;
    while (this.state === 'restarting') {
      const delayMs = this.delays[this.attempts];
      if (delayMs === undefined) return this.giveUp(lastError);
      this.attempts += 1;
      const attempt = this.attempts;
      await this.sleep(delayMs);
      if (this.state !== 'restarting') return;
      this.log.warn(
        { attempt, max_attempts: this.delays.length, delay_ms: delayMs },
        'Restarting the embedded DynamoDB engine',
      );
      try {
        const engine = await this.startPrepared();
        if (this.state !== 'restarting') {
          await engine.close();
          return;
        }
        this.engine = engine;
        this.state = 'running';
        this.reason = undefined;
        this.runningSince = Date.now();
        this.watch(engine);
        this.log.warn(
          { attempt, engine_pid: engine.pid, downtime_ms: Date.now() - downSince },
          'The embedded DynamoDB engine is running again',
        );
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        this.log.warn({ attempt, err: lastError }, 'Restart of the embedded DynamoDB engine failed');
      }
    }
  }

  /** Starts an engine on the same port and data directory and runs `onRestart` on it before it counts as up. */
  private async startPrepared(): Promise<EmbeddedEngine> {
    const engine = await this.options.start({ ...this.options.engine, port: this.port });
    try {
      await this.options.onRestart?.(engine);
      return engine;
    } catch (error) {
      await engine.close();
      throw error;
    }
  }

  private giveUp(lastError: Error | undefined): void {
    const error = new Error(
      `The embedded DynamoDB engine could not be restarted after ${this.delays.length} attempts: ${lastError?.message ?? 'unknown reason'}`,
      { cause: lastError },
    );
    this.state = 'failed';
    this.reason = 'the embedded DynamoDB engine exited and could not be restarted';
    this.log.fatal({ err: error }, 'Gave up restarting the embedded DynamoDB engine');
    this.options.onGiveUp?.(error);
  }

  /** Waits `ms`, or less when shutdown begins. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.wake = undefined;
    });
  }
}

function describeExit(exit: EngineExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}
