// Module init only: the Engine and WordPiece classes and a few module-level functions.
#include <napi.h>

#include "engine_wrap.h"
#include "preload.h"
#include "session.h"
#include "wordpiece_wrap.h"

namespace {

Napi::Value AvailableProviders(const Napi::CallbackInfo& info) {
  auto providers = engine::AvailableProviders();
  Napi::Array out = Napi::Array::New(info.Env(), providers.size());
  for (size_t i = 0; i < providers.size(); ++i) out.Set(i, providers[i]);
  return out;
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
#if defined(ENGINE_WITH_CUDA)
  out.Set("cuda", true);
#else
  out.Set("cuda", false);
#endif
#if defined(ENGINE_WITH_TENSORRT)
  out.Set("tensorrt", true);
#else
  out.Set("tensorrt", false);
#endif
  out.Set("ortApiVersion", ORT_API_VERSION);
  out.Set("ortVersion", Ort::GetVersionString());
  return out;
}

// preloadLibraries(paths: string[]) -> { path, ok, error? }[]  [sync]
Napi::Value PreloadLibraries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "preloadLibraries(paths: string[])");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value v = list.Get(i);
    if (!v.IsString()) throw Napi::TypeError::New(env, "preloadLibraries: every path must be a string");
    paths.push_back(v.As<Napi::String>().Utf8Value());
  }
  auto outcomes = engine::PreloadLibraries(paths);
  Napi::Array out = Napi::Array::New(env, outcomes.size());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("path", outcomes[i].path);
    o.Set("ok", outcomes[i].ok);
    if (!outcomes[i].ok) o.Set("error", outcomes[i].error);
    out.Set(i, o);
  }
  return out;
}

// probeProvider(provider: 'cuda' | 'tensorrt', deviceId: number) -> { ok, error? }  [sync]
Napi::Value ProbeProvider(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "probeProvider(provider: string, deviceId: number)");
  auto result = engine::ProbeProvider(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value());
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", result.ok);
  if (!result.ok) out.Set("error", result.error);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", engine::EngineWrap::Define(env));
  exports.Set("WordPiece", engine::WordPieceWrap::Define(env));
  exports.Set("setErrorFactory", Napi::Function::New<engine::SetErrorFactory>(env, "setErrorFactory"));
  exports.Set("availableProviders", Napi::Function::New<AvailableProviders>(env, "availableProviders"));
  exports.Set("buildInfo", Napi::Function::New<BuildInfo>(env, "buildInfo"));
  exports.Set("preloadLibraries", Napi::Function::New<PreloadLibraries>(env, "preloadLibraries"));
  exports.Set("probeProvider", Napi::Function::New<ProbeProvider>(env, "probeProvider"));
  return exports;
}

}  // namespace

NODE_API_MODULE(engine, Init)
