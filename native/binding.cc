// Module init only: the Engine class and a few module-level functions.
#include <napi.h>

#include "engine_wrap.h"
#include "session.h"

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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", engine::EngineWrap::Define(env));
  exports.Set("setErrorFactory", Napi::Function::New<engine::SetErrorFactory>(env, "setErrorFactory"));
  exports.Set("availableProviders", Napi::Function::New<AvailableProviders>(env, "availableProviders"));
  exports.Set("buildInfo", Napi::Function::New<BuildInfo>(env, "buildInfo"));
  return exports;
}

}  // namespace

NODE_API_MODULE(engine, Init)
