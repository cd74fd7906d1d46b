// The standalone server behind `npm run serve` (cli.ts): flags, the plugin in a Fastify app of its own, graceful
// shutdown. Prints one line `listening on http://HOST:PORT` on stdout once bound; logs go to stderr.
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { LoadOptions } from '../lib/index.js';
import { notFoundHandler } from './errors.js';
import { textclf, type TextclfOptions } from './plugin.js';
import { closeOnSignals } from './shutdown.js';

const USAGE = `usage: npm run serve -- --model DIR [--model name=DIR ...] [options]
  --model [NAME=]DIR     a model folder (repeatable); NAME defaults to the folder's name; the kind (classifier,
                         tagger, parser) is read from its config.json. The first classifier answers POST /predict
  --port N               default 8080 (0: any free port)
  --host ADDR            default 127.0.0.1
  --max-inputs N         most texts per request (default 32; more is a 422)
  --body-limit BYTES     largest body (default 1048576; more is a 413)
  --timeout-ms N         deadline for requests that set no timeout_ms (default 0: none; past it, 504)
  --max-queue N          engine queue bound per model (default 4096; beyond it, 503 + Retry-After)
  --max-batch-size N     engine batch bound (default 32)
  --threads N            ONNX Runtime intra-op threads per model (default: physical cores)
  --spinning             let ONNX Runtime threads spin between runs (default off here: they would take the
                         cores the event loop needs to parse and answer requests under sustained load)
  --grace-ms N           shutdown bound: drain for at most this long after SIGTERM/SIGINT (default 10000)
  --log-level LEVEL      fatal, error, warn, info (default), debug
  --help`;

const int = (name: string, value: string | undefined, min: number): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${value}`);
  return n;
};

export function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', multiple: true },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'max-inputs': { type: 'string' },
      'body-limit': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'max-queue': { type: 'string' },
      'max-batch-size': { type: 'string' },
      threads: { type: 'string' },
      spinning: { type: 'boolean', default: false },
      'grace-ms': { type: 'string', default: '10000' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const models: Record<string, string> = {};
  for (const spec of values.model ?? []) {
    const eq = spec.indexOf('=');
    const [name, dir] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [path.basename(path.resolve(spec)), spec];
    if (models[name]) throw new Error(`two models are named "${name}"; name one with --model NAME=DIR`);
    models[name] = dir;
  }
  const load: LoadOptions = {
    maxQueue: int('max-queue', values['max-queue'], 1),
    maxBatchSize: int('max-batch-size', values['max-batch-size'], 1),
    intraOpThreads: int('threads', values.threads, 1),
    allowSpinning: values.spinning,
  };
  for (const key of Object.keys(load) as (keyof LoadOptions)[]) if (load[key] === undefined) delete load[key];
  return {
    help: values.help,
    models,
    port: int('port', values.port, 0)!,
    host: values.host!,
    graceMs: int('grace-ms', values['grace-ms'], 0)!,
    logLevel: values['log-level']!,
    plugin: {
      models,
      load,
      maxInputs: int('max-inputs', values['max-inputs'], 1),
      bodyLimit: int('body-limit', values['body-limit'], 1),
      timeoutMs: int('timeout-ms', values['timeout-ms'], 0),
    } satisfies TextclfOptions,
  };
}

/** The standalone server: JSON 404s, no per-request log lines (they cost throughput), draining on close. */
export function buildServer(plugin: TextclfOptions, logLevel = 'info'): FastifyInstance {
  // return503OnClosing off: the plugin answers requests that arrive while draining with its own JSON 503.
  const app = Fastify({
    logger: { level: logLevel, stream: process.stderr },
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: false,
  });
  app.setNotFoundHandler(notFoundHandler);
  app.register(textclf, plugin);
  return app;
}

export async function main(argv: string[]): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (cli.help || Object.keys(cli.models).length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return cli.help ? 0 : 2;
  }
  // Listen first and load in the background, so /health and /ready answer (503) while the models load.
  let failed = false;
  const app = buildServer({
    ...cli.plugin,
    loadInBackground: true,
    onLoaded: (err) => {
      if (!err) return app.log.info(`ready: ${Object.keys(cli.models).join(', ')}`);
      failed = true;
      process.stderr.write(`could not load the models: ${(err as Error).message}\n`);
      app.close().finally(() => process.exit(1));
    },
  }, cli.logLevel);
  closeOnSignals(app, { graceMs: cli.graceMs });
  const address = await app.listen({ port: cli.port, host: cli.host });
  if (!failed) process.stdout.write(`listening on ${address}\n`);
  return -1; // keep running; shutdown.ts exits
}
