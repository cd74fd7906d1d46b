// The unit users mount: `app.register(textclf, { models })`. It loads the models, validates bodies with its own
// (non-coercing) Ajv, maps every error through errors.ts, records metrics, and frees the engines on close.
import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { LoadOptions } from '../lib/index.js';
import { errorHandler, sendError, ServeError } from './errors.js';
import { Metrics } from './metrics.js';
import { disposeAll, loadAll, type ModelSource } from './models.js';
import { registerRoutes, type ServiceState } from './routes.js';

export interface TextclfOptions {
  /** Name -> model folder (kind read from its config.json), `{ dir, kind, load }`, or an already loaded pipeline. */
  models: Record<string, ModelSource>;
  /** Load options for every folder (maxQueue, maxBatchSize, intraOpThreads, …). */
  load?: LoadOptions;
  /** Most texts in one request; more is a 422. Default 32, as TEI's max_client_batch_size. */
  maxInputs?: number;
  /** Largest request body in bytes; more is a 413. Default 1 MiB. */
  bodyLimit?: number;
  /** Deadline (ms) for requests that set no timeout_ms; 0 (default): none. */
  timeoutMs?: number;
  /** Where metrics go; default a registry of this plugin's own, served at /metrics. */
  registry?: Registry;
  /** Register at once and load in the background (/ready answers 503 until done), instead of holding startup. */
  loadInBackground?: boolean;
  /** Called once loading has finished, with the error if it failed (useful with loadInBackground). */
  onLoaded?: (err?: unknown) => void;
}

export const textclf: FastifyPluginAsync<TextclfOptions> = async (app: FastifyInstance, options: TextclfOptions) => {
  if (!options?.models || Object.keys(options.models).length === 0) throw new TypeError('textclf: options.models must name at least one model');
  const state: ServiceState = {
    models: [],
    ready: false,
    draining: false,
    metrics: new Metrics(() => state.models, options.registry),
    maxInputs: options.maxInputs ?? 32,
    bodyLimit: options.bodyLimit ?? 1 << 20,
    timeoutMs: options.timeoutMs ?? 0,
  };

  // Fastify's default Ajv coerces types ("inputs": 5 would become "5"); wrong types must be a 400 here.
  const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false });
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema));
  app.setErrorHandler(errorHandler);

  app.addHook('onRequest', async (request, reply) => {
    state.metrics.inFlight.inc();
    reply.raw.once('close', () => state.metrics.inFlight.dec()); // 'close' fires for answered and abandoned alike
    if (state.draining && !request.routeOptions.url?.endsWith('/health')) {
      reply.header('connection', 'close');
      return sendError(reply, new ServeError('ERR_SHUTTING_DOWN', 'the service is shutting down'));
    }
    if (!state.ready && request.method === 'POST') return sendError(reply, new ServeError('ERR_NOT_READY', 'models are still loading'));
  });
  app.addHook('onResponse', async (request, reply) => {
    state.metrics.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  const loading = loadAll(options.models, options.load ?? {}).then((models) => {
    state.models = models;
    state.ready = true;
  });
  loading.then(() => options.onLoaded?.(), (err) => options.onLoaded?.(err));
  app.addHook('preClose', async () => {
    state.draining = true;
  });
  // onClose runs once the server has stopped accepting and every in-flight request has been answered.
  app.addHook('onClose', async () => {
    await loading.catch(() => {});
    state.ready = false;
    await disposeAll(state.models);
  });

  registerRoutes(app, state);
  if (options.loadInBackground) {
    loading.catch((err) => app.log.error({ err }, 'textclf: loading the models failed'));
  } else {
    await loading;
  }
};

export default textclf;
