#include "engine_wrap.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unordered_set>

namespace engine {
namespace {

struct AddonData {
  Napi::FunctionReference error_factory;
};

// The engines not yet torn down, for StopAllAtExit. Never freed: exit handlers may run after static destructors.
std::mutex& LiveMutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}
std::unordered_set<EngineWrap*>& Live() {
  static auto* live = new std::unordered_set<EngineWrap*>;
  return *live;
}

AddonData* Data(Napi::Env env) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (!data) {
    data = new AddonData();
    env.SetInstanceData(data);
  }
  return data;
}

Napi::Value Rejected(Napi::Env env, ErrorCode code, const std::string& message) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(MakeError(env, code, message));
  return deferred.Promise();
}

Napi::Array Shape(Napi::Env env, const std::vector<int64_t>& dims) {
  Napi::Array out = Napi::Array::New(env, dims.size());
  for (size_t i = 0; i < dims.size(); ++i) out.Set(i, Napi::Number::New(env, static_cast<double>(dims[i])));
  return out;
}

Napi::Array DescribeAll(Napi::Env env, const std::vector<IoInfo>& infos) {
  Napi::Array out = Napi::Array::New(env, infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", infos[i].name);
    o.Set("type", infos[i].type);
    o.Set("shape", Shape(env, infos[i].shape));
    out.Set(i, o);
  }
  return out;
}

// Outputs up to this size are copied into a plain ArrayBuffer: an external one costs a finalizer that the JS thread
// runs again at collection, far more than copying a few hundred bytes of logits.
constexpr size_t kCopyBytes = 64 * 1024;

// Larger outputs (a tagger's per-token scores on long texts) hand the vector's storage to JS without copying; the
// finalizer frees it when the Float32Array is collected.
Napi::Float32Array ToFloat32Array(Napi::Env env, std::vector<float>&& data) {
  const size_t bytes = data.size() * sizeof(float);
  if (bytes <= kCopyBytes) {
    auto buffer = Napi::ArrayBuffer::New(env, bytes);
    if (bytes > 0) std::memcpy(buffer.Data(), data.data(), bytes);
    return Napi::Float32Array::New(env, data.size(), buffer, 0);
  }
  auto* owned = new std::vector<float>(std::move(data));
  auto buffer = Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(float),
                                       [](Napi::Env, void*, std::vector<float>* v) { delete v; }, owned);
  return Napi::Float32Array::New(env, owned->size(), buffer, 0);
}

std::vector<int64_t> ReadIds(const Napi::Value& value) {
  auto array = value.As<Napi::Int32Array>();
  return std::vector<int64_t>(array.Data(), array.Data() + array.ElementLength());
}

}  // namespace

Napi::Value MakeError(Napi::Env env, ErrorCode code, const std::string& message) {
  AddonData* data = Data(env);
  if (!data->error_factory.IsEmpty()) {
    return data->error_factory.Call({Napi::String::New(env, ErrorCodeName(code)), Napi::String::New(env, message)});
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", ErrorCodeName(code));
  return error.Value();
}

void SetErrorFactory(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "setErrorFactory(factory) expects a function");
  }
  Data(info.Env())->error_factory = Napi::Persistent(info[0].As<Napi::Function>());
}

Napi::Function EngineWrap::Define(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {InstanceMethod<&EngineWrap::Metadata>("metadata"), InstanceMethod<&EngineWrap::Run>("run"),
                      InstanceMethod<&EngineWrap::RunNow>("runNow"), InstanceMethod<&EngineWrap::Idle>("idle"),
                      InstanceMethod<&EngineWrap::PauseRounds>("pauseRounds"),
                      InstanceMethod<&EngineWrap::ResumeRounds>("resumeRounds"),
                      InstanceMethod<&EngineWrap::Cancel>("cancel"), InstanceMethod<&EngineWrap::Stats>("stats"),
                      InstanceMethod<&EngineWrap::Dispose>("dispose")});
}

EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 1 || !info[0].IsString())
      throw EngineError(ErrorCode::InvalidOption, "new Engine(modelPath, options): modelPath must be a string");
    Napi::Object options = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    batch_config_ = ParseBatchConfig(options);
    SessionConfig session_config = ParseSessionConfig(info[0].As<Napi::String>().Utf8Value(), options);
    if (batch_config_.workers > 1 && session_config.intra_op_threads == 0) {
      // Several batches in flight share the cores rather than each claiming all of them. On a CPU, a batch that starts
      // alone (no other batch running, nothing queued) takes a second session on every core instead, so a lone
      // request is as fast as with one worker: on a 2-core VM, two workers of one thread served 1.18x the requests/s
      // of one worker on both under 64 callers, but took 10.3 instead of 7.4 ms at one caller (2026-12-06). One and
      // two threads gave identical outputs there (difference 0 over 120 inputs, sentiment and embedder models).
      const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
      if (session_config.provider == "cpu" && cores > 1) lone_session_ = std::make_unique<Session>(session_config);
      session_config.intra_op_threads = static_cast<int>(std::max<size_t>(1, cores / batch_config_.workers));
    }
    session_ = std::make_unique<Session>(session_config);
  } catch (const EngineError& e) {
    throw Napi::Error(env, MakeError(env, e.code(), e.what()));
  } catch (const Ort::Exception& e) {
    throw Napi::Error(env, MakeError(env, ErrorCode::ModelLoad, e.what()));
  }

  tsfn_ = Tsfn::New(env, "textclf-engine", 0, 1, this);
  tsfn_.Unref(env);  // only pending requests keep the process alive (see Track)
  // Cleanup hooks run last-added first, so this one runs before the thread-safe function's own.
  napi_add_env_cleanup_hook(env, &EngineWrap::OnEnvTeardown, this);
  Session* session = session_.get();
  Session* lone_session = LoneSession();
  batcher_ = std::make_unique<Batcher>(
      batch_config_,
      [session, lone_session](const std::vector<Request*>& batch, bool lone) {
        return (lone ? lone_session : session)->Run(batch);
      },
      [this](std::vector<Result>&& results) {
        if (torn_down_) return;
        auto* delivery = new Delivery{std::move(results), false};
        if (tsfn_.NonBlockingCall(delivery) != napi_ok) delete delivery;
      },
      [this] {
        if (torn_down_) return;
        auto* delivery = new Delivery{{}, true};
        if (tsfn_.NonBlockingCall(delivery) != napi_ok) delete delivery;
      });
  static std::once_flag exit_handler;
  std::call_once(exit_handler, [] { std::atexit(&EngineWrap::StopAllAtExit); });
  std::lock_guard<std::mutex> lock(LiveMutex());
  Live().insert(this);
}

EngineWrap::~EngineWrap() {
  // Reached only with nothing pending (Track keeps the object alive until then), or at environment teardown.
  // The hook has run exactly when torn_down_ is set; otherwise the GC got here first and the hook must go.
  if (!torn_down_) napi_remove_env_cleanup_hook(Env(), &EngineWrap::OnEnvTeardown, this);
  CloseForTeardown();
}

void EngineWrap::OnEnvTeardown(void* self) { static_cast<EngineWrap*>(self)->CloseForTeardown(); }

void EngineWrap::CloseForTeardown() {
  if (torn_down_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(LiveMutex());
    Live().erase(this);
  }
  batcher_.reset();
  if (!disposed_) tsfn_.Abort();
  session_.reset();
  lone_session_.reset();
}

void EngineWrap::StopAllAtExit() {
  // The lock is held throughout: an engine being destroyed on another thread waits in CloseForTeardown, alive.
  std::lock_guard<std::mutex> lock(LiveMutex());
  std::vector<EngineWrap*> stopping;
  for (EngineWrap* engine : Live()) {
    if (engine->torn_down_.exchange(true) || !engine->batcher_) continue;  // deliveries are dropped once torn down
    engine->batcher_->Close();  // every queue first, so no engine starts a round while another is joined
    stopping.push_back(engine);
  }
  for (EngineWrap* engine : stopping) engine->batcher_.reset();  // joins each worker once its batch in flight is done
  Live().clear();
}

void EngineWrap::Hold(Napi::Env env) {
  if (held_) return;
  held_ = true;
  tsfn_.Ref(env);
  Ref();
}

void EngineWrap::ReleaseIfIdle(Napi::Env env) {
  if (!held_ || !pending_.empty() || !dispose_waiters_.empty()) return;
  held_ = false;
  if (!disposed_) tsfn_.Unref(env);
  Unref();
}

Napi::Value EngineWrap::Metadata(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!session_) throw Napi::Error(env, MakeError(env, ErrorCode::Disposed, "engine is disposed"));
  Napi::Object out = Napi::Object::New(env);
  out.Set("inputs", DescribeAll(env, session_->inputs()));
  out.Set("outputs", DescribeAll(env, session_->outputs()));
  out.Set("provider", session_->provider());
  return out;
}

// The request of run()/runNow(): arguments from `first` on are (ids: Int32Array, typeIds: Int32Array | null).
// Throws EngineError (InvalidInput, InputTooLong).
std::unique_ptr<Request> EngineWrap::ReadRequest(const Napi::CallbackInfo& info, size_t first) const {
  const Napi::Value ids = info[first], type_ids = info[first + 1];
  if (!ids.IsTypedArray() || ids.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !(type_ids.IsNull() || type_ids.IsUndefined() ||
        (type_ids.IsTypedArray() && type_ids.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array)))
    throw EngineError(ErrorCode::InvalidInput, "ids must be an Int32Array and typeIds an Int32Array or null");
  auto request = std::make_unique<Request>();
  request->ids = ReadIds(ids);
  if (type_ids.IsTypedArray()) request->type_ids = ReadIds(type_ids);
  if (request->ids.empty()) throw EngineError(ErrorCode::InvalidInput, "a request needs at least one token");
  if (request->ids.size() > batch_config_.max_tokens)
    throw EngineError(ErrorCode::InputTooLong, std::to_string(request->ids.size()) + " tokens exceed the limit of " +
                                                   std::to_string(batch_config_.max_tokens));
  if (!request->type_ids.empty() && request->type_ids.size() != request->ids.size())
    throw EngineError(ErrorCode::InvalidInput, "typeIds must have one entry per token");
  request->enqueued = Clock::now();
  return request;
}

Napi::Value EngineWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (disposing_) return Rejected(env, ErrorCode::Disposed, "engine is disposed; no new requests are accepted");
  if (info.Length() < 4 || !info[0].IsNumber() || !info[3].IsNumber())
    return Rejected(env, ErrorCode::InvalidInput, "run(id, ids: Int32Array, typeIds: Int32Array | null, timeoutMs: number)");
  std::unique_ptr<Request> request;
  try {
    request = ReadRequest(info, 1);
  } catch (const EngineError& e) {
    return Rejected(env, e.code(), e.what());
  }
  request->id = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  if (pending_.count(request->id)) return Rejected(env, ErrorCode::InvalidInput, "request id is already in use");
  const double timeout_ms = info[3].As<Napi::Number>().DoubleValue();
  if (timeout_ms > 0)
    request->deadline = request->enqueued + std::chrono::microseconds(static_cast<int64_t>(timeout_ms * 1000));

  const uint64_t id = request->id;
  if (!batcher_->Submit(std::move(request)))
    return Rejected(env, ErrorCode::Overloaded,
                    "queue is full (" + std::to_string(batch_config_.max_queue) + " requests); retry later");
  auto deferred = Napi::Promise::Deferred::New(env);
  Hold(env);
  pending_.emplace(id, deferred);
  return deferred.Promise();
}

Napi::Value EngineWrap::RunNow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (disposing_) throw EngineError(ErrorCode::Disposed, "engine is disposed; no new requests are accepted");
    if (info.Length() < 2) throw EngineError(ErrorCode::InvalidInput, "runNow(ids: Int32Array, typeIds: Int32Array | null)");
    std::unique_ptr<Request> request = ReadRequest(info, 0);
    Result result;
    result.outputs = std::move(LoneSession()->Run({request.get()})[0]);
    result.infer_ms = MillisBetween(request->enqueued, Clock::now());
    result.batch_size = 1;
    return RunOutput(env, result);
  } catch (const EngineError& e) {
    throw Napi::Error(env, MakeError(env, e.code(), e.what()));
  } catch (const std::exception& e) {
    throw Napi::Error(env, MakeError(env, ErrorCode::Inference, e.what()));
  }
}

Napi::Value EngineWrap::Idle(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), pending_.empty() && !disposing_);
}

Napi::Value EngineWrap::PauseRounds(const Napi::CallbackInfo& info) {
  if (batcher_) batcher_->Pause();
  return info.Env().Undefined();
}

Napi::Value EngineWrap::ResumeRounds(const Napi::CallbackInfo& info) {
  if (batcher_) batcher_->Resume();
  return info.Env().Undefined();
}

Napi::Value EngineWrap::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "cancel(id, error)");
  const uint64_t id = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  auto it = pending_.find(id);
  if (it == pending_.end()) return Napi::Boolean::New(env, false);
  const bool was_queued = batcher_ && batcher_->Cancel(id);
  Napi::Promise::Deferred deferred = it->second;
  pending_.erase(it);
  deferred.Reject(info[1]);
  ReleaseIfIdle(env);
  return Napi::Boolean::New(env, was_queued);
}

Napi::Value EngineWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BatcherStats s = batcher_ ? batcher_->Stats() : BatcherStats{};
  Napi::Object out = Napi::Object::New(env);
  out.Set("queued", static_cast<double>(s.queued));
  out.Set("running", static_cast<double>(s.running));
  out.Set("peakRunning", static_cast<double>(s.peak_running));
  out.Set("pending", static_cast<double>(pending_.size()));
  out.Set("batches", static_cast<double>(s.batches));
  out.Set("requests", static_cast<double>(s.requests));
  out.Set("loneBatches", static_cast<double>(s.lone_batches));
  return out;
}

Napi::Value EngineWrap::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  if (disposed_) {
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  Hold(env);
  dispose_waiters_.push_back(deferred);
  if (!disposing_) {
    disposing_ = true;
    for (uint64_t id : batcher_->Close()) {
      auto it = pending_.find(id);
      if (it == pending_.end()) continue;
      it->second.Reject(MakeError(env, ErrorCode::Disposed, "engine was disposed before this request ran"));
      pending_.erase(it);
    }
  }
  return deferred.Promise();
}

void EngineWrap::Settle(Napi::Env env, Result& result) {
  auto it = pending_.find(result.id);
  if (it == pending_.end()) return;  // cancelled while running: its caller was already answered
  Napi::Promise::Deferred deferred = it->second;
  pending_.erase(it);
  if (!result.ok) {
    deferred.Reject(MakeError(env, result.code, result.message));
    return;
  }
  deferred.Resolve(RunOutput(env, result));
}

Napi::Object EngineWrap::RunOutput(Napi::Env env, Result& result) {
  Napi::Object outputs = Napi::Object::New(env);
  for (OutputSlice& slice : result.outputs) {
    Napi::Object tensor = Napi::Object::New(env);
    tensor.Set("dims", Shape(env, slice.dims));
    tensor.Set("data", ToFloat32Array(env, std::move(slice.data)));
    outputs.Set(slice.name, tensor);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("outputs", outputs);
  out.Set("queueMs", result.queue_ms);
  out.Set("inferMs", result.infer_ms);
  out.Set("batchSize", result.batch_size);
  return out;
}

void EngineWrap::FinishDispose(Napi::Env env) {
  batcher_.reset();  // the worker has delivered its last batch; this joins it
  session_.reset();
  lone_session_.reset();
  disposed_ = true;
  for (auto& entry : pending_)
    entry.second.Reject(MakeError(env, ErrorCode::Disposed, "engine was disposed"));
  pending_.clear();
  for (auto& waiter : dispose_waiters_) waiter.Resolve(env.Undefined());
  dispose_waiters_.clear();
  tsfn_.Release();
  ReleaseIfIdle(env);
}

void EngineWrap::CallJs(Napi::Env env, Napi::Function, EngineWrap* self, Delivery* delivery) {
  std::unique_ptr<Delivery> owned(delivery);
  if (!env || !self) return;  // the thread-safe function is being torn down
  Napi::HandleScope scope(env);
  for (Result& result : owned->results) self->Settle(env, result);
  if (owned->closed) {
    self->FinishDispose(env);
  } else {
    self->ReleaseIfIdle(env);
  }
}

}  // namespace engine
