export { loadClassifier, Classifier } from './classify.js';
export type { Classification, ClassifyOptions, LoadOptions, Timing } from './classify.js';
export { Engine, availableProviders } from './engine.js';
export type { EngineOptions, ExecutionProvider, RunOptions, RunOutput } from './engine.js';
export type { LabelScore, SequencePrediction } from './postprocess/sequence.js';
export { softmax, sigmoid } from './postprocess/activations.js';
export * from './errors.js';
