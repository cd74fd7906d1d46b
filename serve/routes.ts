// The handlers: validate (schemas in types.ts), pick the model, call lib/, count, answer. No engine logic here.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { availableProviders, type Classifier, type Parser, type Tagger, type Timing } from '../lib/index.js';
import { checkText, mapBounded } from '../lib/inputs.js';
import { ServeError } from './errors.js';
import type { Metrics } from './metrics.js';
import { describe, pick, type Served } from './models.js';
import {
  classifySchema, parseSchema, predictSchema, tagSchema,
  type ClassifyRequest, type InfoResponse, type ParseRequest, type PredictRequest, type PredictResponse, type Prediction, type TagRequest,
} from './types.js';
import { versions } from './versions.js';

/** What the routes read; the plugin owns and updates it. */
export interface ServiceState {
  models: Served[];
  ready: boolean;
  draining: boolean;
  metrics: Metrics;
  maxInputs: number;
  bodyLimit: number;
  /** Deadline for requests that set none (0: none). */
  timeoutMs: number;
}

export function registerRoutes(app: FastifyInstance, state: ServiceState): void {
  const post = { bodyLimit: state.bodyLimit };

  app.post('/predict', { ...post, schema: { body: predictSchema } }, async (request, reply): Promise<PredictResponse> => {
    const body = request.body as PredictRequest;
    const m = pick(state.models, 'classifier', body.model);
    const single = typeof body.inputs === 'string';
    const texts = typeof body.inputs === 'string' ? [body.inputs] : body.inputs.map((t) => (Array.isArray(t) ? t[0] : t));
    checkCount(texts.length, state.maxInputs);
    const run = { signal: disconnectSignal(reply), timeoutMs: state.timeoutMs, truncate: body.truncate ?? false };
    const clf = m.pipeline as Classifier;
    let lists: Prediction[][];
    if (body.raw_scores) {
      lists = await rawScores(clf, texts, run, (tokens, timings) => state.metrics.texts(m.name, tokens, timings));
    } else {
      const results = await clf.classify(texts, run);
      state.metrics.texts(m.name, sum(results.map((r) => r.tokens)), results.map((r) => r.timing));
      lists = results.map((r) => r.scores.map(({ label, score }) => ({ score, label })));
    }
    return single ? lists[0] : lists;
  });

  app.post('/v1/classify', { ...post, schema: { body: classifySchema } }, async (request, reply) => {
    const body = request.body as ClassifyRequest;
    const m = pick(state.models, 'classifier', body.model);
    checkCount(countOf(body.inputs), state.maxInputs);
    const options = {
      ...runOptions(body, reply, state), topK: body.top_k, threshold: body.threshold, multiLabel: body.multi_label,
      temperature: body.temperature, truncate: body.truncate,
    };
    const result = await (m.pipeline as Classifier).classify(body.inputs as string[], options);
    const all = [result].flat();
    state.metrics.texts(m.name, sum(all.map((r) => r.tokens)), all.map((r) => r.timing));
    return result;
  });

  app.post('/v1/parse', { ...post, schema: { body: parseSchema } }, async (request, reply) => {
    const body = request.body as ParseRequest;
    const m = pick(state.models, 'parser', body.model);
    checkCount(countOf(body.inputs), state.maxInputs);
    const result = await (m.pipeline as Parser).parse(body.inputs as string[], { ...runOptions(body, reply, state), topK: body.top_k, threshold: body.threshold });
    const all = [result].flat();
    state.metrics.texts(m.name, sum(all.map((r) => r.meta.tokens)), all.map((r) => r.meta.timing));
    return result;
  });

  app.post('/v1/tag', { ...post, schema: { body: tagSchema } }, async (request, reply) => {
    const body = request.body as TagRequest;
    const m = pick(state.models, 'tagger', body.model);
    checkCount(countOf(body.inputs), state.maxInputs);
    const result = await (m.pipeline as Tagger).tagSlots(body.inputs as string[], runOptions(body, reply, state));
    const all = [result].flat();
    state.metrics.texts(m.name, 0, all.map((r) => r.timing));
    return result;
  });

  // Liveness: the process answers. Readiness: every model loaded and not draining.
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    if (state.draining) throw new ServeError('ERR_SHUTTING_DOWN', 'the service is shutting down');
    if (!state.ready) throw new ServeError('ERR_NOT_READY', 'models are still loading');
    return reply.send({ status: 'ready', models: state.models.map((m) => m.name) });
  });

  app.get('/info', async (): Promise<InfoResponse> => ({
    models: state.models.map(describe),
    ready: state.ready,
    maxInputs: state.maxInputs,
    bodyLimit: state.bodyLimit,
    providers: availableProviders(),
    versions: versions(app.version),
  }));

  app.get('/metrics', async (_request, reply) => {
    reply.type(state.metrics.registry.contentType);
    return state.metrics.registry.metrics();
  });
}

/** Aborts the request's queued texts when the client goes away before its answer is written. */
function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}

function runOptions(body: { timeout_ms?: number }, reply: FastifyReply, state: ServiceState) {
  return { signal: disconnectSignal(reply), timeoutMs: body.timeout_ms ?? state.timeoutMs };
}

const countOf = (inputs: string | string[]) => (typeof inputs === 'string' ? 1 : inputs.length);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function checkCount(n: number, max: number): void {
  if (n > max) throw new ServeError('ERR_TOO_MANY_INPUTS', `${n} inputs in one request; at most ${max} are accepted`);
}

/** TEI's raw_scores: the logits classify decodes, unscaled by any temperature, best first. The same bounded fan-out as classify. */
async function rawScores(
  clf: Classifier,
  texts: string[],
  run: { signal: AbortSignal; timeoutMs: number; truncate: boolean },
  record: (tokens: number, timings: Timing[]) => void,
): Promise<Prediction[][]> {
  const outs = await mapBounded(texts, clf.engine.maxQueue / 2, (text) => clf.logits(checkText(text), run));
  record(sum(outs.map((o) => o.tokens)), outs.map((o) => o.timing));
  return outs.map(({ logits }) => Array.from(logits, (score, i) => ({ score, label: clf.labels[i] })).sort((a, b) => b.score - a.score));
}
