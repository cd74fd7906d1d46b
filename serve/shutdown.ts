// Graceful shutdown: on SIGTERM or SIGINT stop accepting, let in-flight requests finish, free the engines
// (Fastify's close runs the plugin's onClose), and exit 0; past `graceMs`, cut what is left and exit 1.
import type { FastifyInstance } from 'fastify';

export interface ShutdownOptions {
  graceMs: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
  log?: (line: string) => void;
}

export function closeOnSignals(app: FastifyInstance, options: ShutdownOptions): void {
  const { graceMs, signals = ['SIGTERM', 'SIGINT'], exit = (code) => process.exit(code), log = (l) => process.stderr.write(`${l}\n`) } = options;
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return; // a second signal while draining changes nothing; the grace timer still bounds it
    closing = true;
    log(`${signal}: draining (at most ${graceMs} ms)`);
    const timer = setTimeout(() => {
      log(`still draining after ${graceMs} ms: closing the remaining connections`);
      app.server.closeAllConnections();
      exit(1);
    }, graceMs);
    timer.unref();
    app.close().then(
      () => {
        clearTimeout(timer);
        log('drained; engines disposed');
        exit(0);
      },
      (err: Error) => {
        clearTimeout(timer);
        log(`error while closing: ${err.message}`);
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
}
