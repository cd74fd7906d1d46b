// Prometheus metrics, recorded at the handler boundary (as TEI does), never inside the engine. One registry per
// plugin instance, so several services (or tests) in one process do not collide.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Timing } from '../lib/index.js';
import type { Served } from './models.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];
const TOKEN_BUCKETS = [8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];

export class Metrics {
  readonly registry: Registry;
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly duration: Histogram<'route'>;
  private readonly queueTime: Histogram<'model'>;
  private readonly inferTime: Histogram<'model'>;
  private readonly batchSize: Histogram<'model'>;
  private readonly tokens: Histogram<'model'>;
  private readonly inputs: Histogram<'model'>;
  /** Requests received and not yet answered (or abandoned), this plugin's routes only. */
  readonly inFlight: Gauge;

  constructor(models: () => readonly Served[], registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    // 1 ms sampling: the event-loop lag figures then include at most 1 ms of the sampler's own interval.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1 });
    this.requests = new Counter({ name: 'textclf_http_requests_total', help: 'HTTP requests by route, method and status.', labelNames: ['route', 'method', 'status'], registers });
    this.duration = new Histogram({ name: 'textclf_http_request_duration_seconds', help: 'Time from request received to response sent.', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers });
    this.queueTime = new Histogram({ name: 'textclf_queue_seconds', help: 'Time a text waited in the engine queue.', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers });
    this.inferTime = new Histogram({ name: 'textclf_inference_seconds', help: 'Model run time of the batch a text ran in.', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers });
    this.batchSize = new Histogram({ name: 'textclf_batch_size', help: 'Size of the batch each text ran in.', labelNames: ['model'], buckets: BATCH_BUCKETS, registers });
    this.tokens = new Histogram({ name: 'textclf_tokens_per_request', help: 'Tokens over all texts of a request, special tokens included.', labelNames: ['model'], buckets: TOKEN_BUCKETS, registers });
    this.inputs = new Histogram({ name: 'textclf_inputs_per_request', help: 'Texts in one request.', labelNames: ['model'], buckets: BATCH_BUCKETS, registers });
    this.inFlight = new Gauge({ name: 'textclf_http_requests_in_flight', help: 'Requests received and not yet answered.', registers });
    new Gauge({
      name: 'textclf_queue_depth', help: 'Requests queued in the engine, not yet running.', labelNames: ['model'], registers,
      collect() {
        for (const m of models()) this.set({ model: m.name }, m.pipeline.engine.stats().queued);
      },
    });
    new Gauge({
      name: 'textclf_model_info', help: 'One per loaded model (value 1).', labelNames: ['model', 'kind', 'provider'], registers,
      collect() {
        this.reset();
        for (const m of models()) this.set({ model: m.name, kind: m.kind, provider: m.pipeline.engine.provider }, 1);
      },
    });
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.duration.observe({ route }, seconds);
  }

  /** One request's texts: how many, their tokens, and the queue/run/batch figures of each. */
  texts(model: string, tokens: number, timings: readonly Timing[]): void {
    this.inputs.observe({ model }, timings.length);
    if (tokens > 0) this.tokens.observe({ model }, tokens);
    for (const t of timings) {
      this.queueTime.observe({ model }, t.queueMs / 1000);
      this.inferTime.observe({ model }, t.inferMs / 1000);
      this.batchSize.observe({ model }, t.batchSize);
    }
  }
}
