// Every failure the engine reports is an EngineError with a stable literal `code`. The native addon builds these
// through the factory registered in binding.ts, so C++ and TypeScript throw the same classes.

export type ErrorCode =
  | 'ERR_INVALID_INPUT'
  | 'ERR_INVALID_OPTION'
  | 'ERR_INPUT_TOO_LONG'
  | 'ERR_OVERLOADED'
  | 'ERR_ABORTED'
  | 'ERR_DEADLINE_EXCEEDED'
  | 'ERR_MODEL_LOAD'
  | 'ERR_PROVIDER_UNAVAILABLE'
  | 'ERR_INFERENCE'
  | 'ERR_DISPOSED'
  | 'ERR_INVALID_LABELS'
  | 'ERR_TOO_FEW_EXAMPLES'
  | 'ERR_UNKNOWN_LABEL';

export class EngineError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Text that is not a string, or an option value of the wrong type for one request. */
export class InvalidInputError extends EngineError {
  constructor(message: string) {
    super('ERR_INVALID_INPUT', message);
  }
}

/** A load or engine option with the wrong type or range; `path` names it (e.g. `options.maxBatchSize`). */
export class InvalidOptionError extends EngineError {
  constructor(message: string) {
    super('ERR_INVALID_OPTION', message);
  }
}

/** The text has more tokens than the model accepts and truncation was turned off. */
export class InputTooLongError extends EngineError {
  constructor(message: string, readonly tokens?: number, readonly maxTokens?: number) {
    super('ERR_INPUT_TOO_LONG', message);
  }
}

/** The engine's queue is full: back off and retry. Nothing was queued. */
export class OverloadedError extends EngineError {
  constructor(message: string) {
    super('ERR_OVERLOADED', message);
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class AbortError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options);
  }
}

/** The request's deadline (`timeoutMs`) passed before it could run; it was dropped unrun. */
export class DeadlineExceededError extends EngineError {
  constructor(message: string) {
    super('ERR_DEADLINE_EXCEEDED', message);
  }
}

/** A model folder or file is missing, corrupt, or does not fit (inputs, outputs, label map). */
export class ModelLoadError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MODEL_LOAD', message, options);
  }
}

/** The requested execution provider (cuda, tensorrt) cannot be loaded on this machine. */
export class ProviderUnavailableError extends EngineError {
  constructor(message: string) {
    super('ERR_PROVIDER_UNAVAILABLE', message);
  }
}

/** ONNX Runtime failed while running a batch; every request of that batch gets this error. */
export class InferenceError extends EngineError {
  constructor(message: string) {
    super('ERR_INFERENCE', message);
  }
}

/** The engine was disposed before the request could run. */
export class DisposedError extends EngineError {
  constructor(message: string) {
    super('ERR_DISPOSED', message);
  }
}

/** A label list that is empty or names a label twice (zero-shot labels, few-shot training). */
export class InvalidLabelsError extends EngineError {
  constructor(message: string) {
    super('ERR_INVALID_LABELS', message);
  }
}

/** Few-shot training got fewer than two examples for a label: one example gives the head nothing to generalise from. */
export class TooFewExamplesError extends EngineError {
  constructor(message: string) {
    super('ERR_TOO_FEW_EXAMPLES', message);
  }
}

/** A few-shot example's label is not in the label list given to the trainer. */
export class UnknownLabelError extends EngineError {
  constructor(message: string) {
    super('ERR_UNKNOWN_LABEL', message);
  }
}

const byCode: Record<ErrorCode, new (message: string) => EngineError> = {
  ERR_INVALID_INPUT: InvalidInputError,
  ERR_INVALID_OPTION: InvalidOptionError,
  ERR_INPUT_TOO_LONG: InputTooLongError,
  ERR_OVERLOADED: OverloadedError,
  ERR_ABORTED: AbortError,
  ERR_DEADLINE_EXCEEDED: DeadlineExceededError,
  ERR_MODEL_LOAD: ModelLoadError,
  ERR_PROVIDER_UNAVAILABLE: ProviderUnavailableError,
  ERR_INFERENCE: InferenceError,
  ERR_DISPOSED: DisposedError,
  ERR_INVALID_LABELS: InvalidLabelsError,
  ERR_TOO_FEW_EXAMPLES: TooFewExamplesError,
  ERR_UNKNOWN_LABEL: UnknownLabelError,
};

export const errorCodes = Object.keys(byCode) as ErrorCode[];

/** Builds the error class for a code; unknown codes become InferenceError rather than a bare Error. */
export function errorFromCode(code: string, message: string): EngineError {
  const Ctor = byCode[code as ErrorCode] ?? InferenceError;
  return new Ctor(message);
}

/** Uniform wording for a bad option: names the path, what was expected and what came. */
export function invalidOption(path: string, expected: string, actual: unknown): InvalidOptionError {
  const got = typeof actual === 'string' ? JSON.stringify(actual) : actual === null ? 'null' : typeof actual === 'object' ? 'an object' : String(actual);
  return new InvalidOptionError(`${path} must be ${expected}, got ${got}`);
}
