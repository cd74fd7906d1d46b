// Training and evaluation data in every supported format, read into one in-memory shape (see docs/data-formats.md).
export * from './types.js';
export { readDataset } from './read.js';
export { checkCompatible, requireTrainable, splitDataset } from './split.js';
export { bioLabels, bioToSpans, spansToChunks, wordTags, type Chunk } from './bio.js';
export { parseAnnotations } from './rasa.js';
export { checkSpans } from './build.js';
export { DATA_FLAGS, DATA_FLAGS_USAGE, readOptionsFromFlags } from './flags.js';
export { STRIP_PARTS, stripParts, stripPost, type StripPart } from './posts.js';
export { checkDeriveSpec, deriveHeads, type DeriveSpec, type DerivedHead } from './derive.js';
