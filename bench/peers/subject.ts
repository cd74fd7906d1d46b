// What every in-process contestant looks like to the latency and throughput loops.
import { softmax } from '../../lib/postprocess/activations.js';
import type { Item } from '../workloads.js';

export interface Subject {
  /** Row label: 'engine', 'engine (ids)', 'onnxruntime-node', 'transformers.js', … */
  readonly name: string;
  /** 'text': the call tokenizes (end to end); 'ids': it is fed pre-tokenized ids. Ratios only compare like with like. */
  readonly input: 'text' | 'ids';
  /** One request for one item; resolves to the batch size it ran in where the subject knows it. */
  call(item: Item): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Thread settings every contestant gets, so the comparison is between runtimes, not configurations. */
export interface ThreadSettings {
  intraOpThreads: number;
  allowSpinning: boolean;
}

/** The same settings as ONNX Runtime session options, for the peers that create their own sessions. */
export function ortSessionOptions(threads: ThreadSettings) {
  return {
    graphOptimizationLevel: 'all' as const,
    intraOpNumThreads: threads.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    extra: { session: { intra_op: { allow_spinning: threads.allowSpinning ? '1' : '0' } } },
  };
}

/**
 * The softmax of a model output's first row (shape [1, classes], or [1, tokens, tags] for a token head), with the
 * function the engine's classify uses: every contestant's post-processing.
 */
export function softmaxFirstRow(values: Float32Array, dims: readonly number[]): Float64Array {
  return softmax(values.subarray(0, dims.at(-1)));
}
