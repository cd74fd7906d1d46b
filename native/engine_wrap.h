// The JS-facing Engine class: owns a Session and a Batcher, settles each request's promise on the JS thread
// through one thread-safe function. Every method that returns a Promise rejects instead of throwing.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "batcher.h"
#include "session.h"

namespace engine {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new Engine(modelPath: string, options: object)  [sync]
  // Throws ModelLoadError, ProviderUnavailableError or InvalidOptionError.
  explicit EngineWrap(const Napi::CallbackInfo& info);
  ~EngineWrap() override;

 private:
  struct Delivery {
    std::vector<Result> results;
    bool closed = false;
  };
  static void CallJs(Napi::Env env, Napi::Function unused, EngineWrap* self, Delivery* delivery);
  using Tsfn = Napi::TypedThreadSafeFunction<EngineWrap, Delivery, CallJs>;

  // metadata() -> { inputs: IoInfo[], outputs: IoInfo[], provider }  [sync]
  Napi::Value Metadata(const Napi::CallbackInfo& info);
  // run(id: number, ids: Int32Array, typeIds: Int32Array | null, timeoutMs: number) -> Promise<RunOutput>  [async]
  // Rejects with InvalidInputError, InputTooLongError, OverloadedError, DeadlineExceededError, InferenceError,
  // DisposedError.
  Napi::Value Run(const Napi::CallbackInfo& info);
  // runNow(ids: Int32Array, typeIds: Int32Array | null) -> RunOutput  [sync]: runs one request alone on the calling
  // (JS) thread, skipping the worker's two thread hops. Throws the errors run() rejects with (not Overloaded).
  Napi::Value RunNow(const Napi::CallbackInfo& info);
  // idle() -> boolean  [sync]: nothing queued, running or awaiting settling, and not disposing.
  Napi::Value Idle(const Napi::CallbackInfo& info);
  // pauseRounds() / resumeRounds()  [sync]: run() calls between them are queued but no round starts until
  // resumeRounds(), so they batch together (see Batcher::Pause).
  Napi::Value PauseRounds(const Napi::CallbackInfo& info);
  Napi::Value ResumeRounds(const Napi::CallbackInfo& info);
  // cancel(id: number, error: Error) -> boolean  [sync]: rejects the request's promise with `error` now; true when it
  // was still queued (it will never run), false when it was running (its result is dropped) or already settled.
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  // stats() -> { queued, running, peakRunning, pending, batches, requests }  [sync]
  Napi::Value Stats(const Napi::CallbackInfo& info);
  // dispose() -> Promise<void>  [async]: rejects queued work with DisposedError, lets the batch in flight finish,
  // joins the worker and frees the session.
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::unique_ptr<Request> ReadRequest(const Napi::CallbackInfo& info, size_t first) const;
  void Settle(Napi::Env env, Result& result);
  // { outputs: { [name]: { dims, data } }, queueMs, inferMs, batchSize }
  static Napi::Object RunOutput(Napi::Env env, Result& result);
  // While any promise is pending, the JS object and the thread-safe function are held, so neither the GC nor an
  // idle event loop can end the engine under a caller. Hold/Release are idempotent transitions.
  void Hold(Napi::Env env);
  void ReleaseIfIdle(Napi::Env env);
  void FinishDispose(Napi::Env env);
  // Environment teardown (process exit with engines never disposed): stops the worker and closes the thread-safe
  // function while it is still alive. Without it, the finalizers that run after every thread-safe function has been
  // deleted would reach a freed one (two live engines at exit aborted the process).
  static void OnEnvTeardown(void* self);
  void CloseForTeardown();
  // process.exit() skips environment teardown and calls exit(): ONNX Runtime's static destructors then ran while a
  // worker was inside Run (it logged "GetElementType is not implemented"). This exit handler, registered after ONNX
  // Runtime loaded, runs before them: it lets each live engine's batch in flight finish and joins its workers.
  static void StopAllAtExit();

  BatchConfig batch_config_;
  std::unique_ptr<Session> session_;
  // With several CPU workers and automatic threads: the same model on every core, for batches that run alone.
  std::unique_ptr<Session> lone_session_;
  Session* LoneSession() const { return lone_session_ ? lone_session_.get() : session_.get(); }
  std::unique_ptr<Batcher> batcher_;
  Tsfn tsfn_;
  std::unordered_map<uint64_t, Napi::Promise::Deferred> pending_;
  std::vector<Napi::Promise::Deferred> dispose_waiters_;
  bool held_ = false;
  bool disposing_ = false;
  bool disposed_ = false;
  std::atomic<bool> torn_down_{false};
};

// Builds the JS error for `code` through the factory lib/errors.ts registers (setErrorFactory).
Napi::Value MakeError(Napi::Env env, ErrorCode code, const std::string& message);
void SetErrorFactory(const Napi::CallbackInfo& info);

}  // namespace engine
