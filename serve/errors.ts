// The one place where a failure becomes an HTTP status and a JSON body `{ error, code }` (TEI keeps the same
// mapping in one ErrorType enum). Engine errors keep their code; the service adds its own for HTTP-level faults.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { EngineError, type ErrorCode } from '../lib/index.js';
import type { ErrorBody } from './types.js';

export type ServeErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_TOO_MANY_INPUTS'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_UNKNOWN_MODEL'
  | 'ERR_NOT_FOUND'
  | 'ERR_NOT_READY'
  | 'ERR_SHUTTING_DOWN'
  | 'ERR_INTERNAL';

/** A fault the service itself detects (route, model name, input count, readiness). */
export class ServeError extends Error {
  constructor(readonly code: ServeErrorCode, message: string) {
    super(message);
    this.name = 'ServeError';
  }
}

export const STATUS: Record<ErrorCode | ServeErrorCode, number> = {
  ERR_INVALID_INPUT: 400,
  ERR_INVALID_OPTION: 400,
  ERR_BAD_REQUEST: 400,
  ERR_INVALID_LABELS: 400, // zero-/few-shot label lists (not served today; listed so every engine code has a status)
  ERR_TOO_FEW_EXAMPLES: 400,
  ERR_UNKNOWN_LABEL: 400,
  ERR_UNKNOWN_MODEL: 404,
  ERR_NOT_FOUND: 404,
  ERR_INPUT_TOO_LONG: 413, // TEI answers 413 for a text over the window with truncate off
  ERR_BODY_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_TOO_MANY_INPUTS: 422,
  ERR_ABORTED: 499, // the client went away; nobody reads this answer
  ERR_OVERLOADED: 503,
  ERR_NOT_READY: 503,
  ERR_SHUTTING_DOWN: 503,
  ERR_DISPOSED: 503,
  ERR_DEADLINE_EXCEEDED: 504,
  ERR_MODEL_LOAD: 500,
  ERR_PROVIDER_UNAVAILABLE: 500,
  ERR_INFERENCE: 500,
  ERR_INTERNAL: 500,
};

/** Seconds a client should wait before retrying a 503: the queue drains in milliseconds, loading takes seconds. */
const RETRY_AFTER: Partial<Record<ErrorCode | ServeErrorCode, number>> = {
  ERR_OVERLOADED: 1,
  ERR_DISPOSED: 1,
  ERR_NOT_READY: 5,
  ERR_SHUTTING_DOWN: 5,
};

// Fastify's own request faults (body parsing, content type, length) by their FST_ code.
const FASTIFY: Record<string, ServeErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ERR_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ERR_BAD_REQUEST',
};

export interface HttpFailure {
  status: number;
  body: ErrorBody;
  retryAfter?: number;
}

/** Any thrown value -> status and body. Only a fault of the service itself (not of the input) is a 500. */
export function toHttp(err: unknown): HttpFailure {
  const { code, message } = classify(err);
  return { status: STATUS[code], body: { error: message, code }, retryAfter: RETRY_AFTER[code] };
}

function classify(err: unknown): { code: ErrorCode | ServeErrorCode; message: string } {
  if (err instanceof EngineError || err instanceof ServeError) return { code: err.code, message: err.message };
  const e = err as Partial<FastifyError> | undefined;
  const message = e?.message ?? String(err);
  if (e?.validation) return { code: 'ERR_BAD_REQUEST', message };
  const mapped = e?.code ? FASTIFY[e.code] : undefined;
  if (mapped) return { code: mapped, message };
  // Any other 4xx Fastify raises while reading the request (a JSON syntax error is a plain SyntaxError with 400).
  const status = e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return { code: status === 404 ? 'ERR_NOT_FOUND' : 'ERR_BAD_REQUEST', message };
  return { code: 'ERR_INTERNAL', message: 'internal error' };
}

export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const failure = toHttp(err);
  if (failure.status >= 500 && failure.body.code === 'ERR_INTERNAL') reply.log.error({ err }, 'internal error');
  if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
  return reply.code(failure.status).type('application/json; charset=utf-8').send(failure.body);
}

export function errorHandler(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, err);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new ServeError('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}
