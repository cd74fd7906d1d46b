#include "options.h"

#include <cmath>
#include <sstream>

#include "errors.h"

namespace engine {
namespace {

std::string Format(double d) {
  std::ostringstream out;
  out << d;
  return out.str();
}

[[noreturn]] void InvalidOption(const std::string& key, const std::string& expected, const Napi::Value& actual) {
  std::string got = actual.IsNull() ? "null" : actual.IsString() ? "\"" + actual.As<Napi::String>().Utf8Value() + "\""
                  : actual.IsNumber() ? Format(actual.As<Napi::Number>().DoubleValue())
                  : actual.IsBoolean() ? (actual.As<Napi::Boolean>().Value() ? "true" : "false")
                  : "a value of another type";
  throw EngineError(ErrorCode::InvalidOption, "options." + key + " must be " + expected + ", got " + got);
}

bool Has(const Napi::Object& o, const char* key) {
  return o.Has(key) && !o.Get(key).IsUndefined();
}

double Number(const Napi::Object& o, const char* key, double def, double min, double max, bool integer) {
  if (!Has(o, key)) return def;
  Napi::Value v = o.Get(key);
  std::string expected = std::string(integer ? "an integer" : "a number") + " in [" + Format(min) + ", " + Format(max) + "]";
  if (!v.IsNumber()) InvalidOption(key, expected, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isnan(d) || d < min || d > max || (integer && std::floor(d) != d)) InvalidOption(key, expected, v);
  return d;
}

}  // namespace

SessionConfig ParseSessionConfig(const std::string& model_path, const Napi::Object& o) {
  SessionConfig c;
  c.model_path = model_path;
  if (Has(o, "executionProvider")) {
    Napi::Value v = o.Get("executionProvider");
    std::string p = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    if (p != "cpu" && p != "cuda" && p != "tensorrt") InvalidOption("executionProvider", "'cpu', 'cuda' or 'tensorrt'", v);
    c.provider = p;
  }
  c.device_id = (int)Number(o, "deviceId", 0, 0, 64, true);
  c.intra_op_threads = (int)Number(o, "intraOpThreads", 0, 0, 1024, true);
  c.inter_op_threads = (int)Number(o, "interOpThreads", 0, 0, 1024, true);
  c.pad_id = (int64_t)Number(o, "padId", 0, 0, 2147483647, true);
  if (Has(o, "graphOptimizationLevel")) {
    Napi::Value v = o.Get("graphOptimizationLevel");
    std::string l = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    if (l == "disabled") c.optimization = ORT_DISABLE_ALL;
    else if (l == "basic") c.optimization = ORT_ENABLE_BASIC;
    else if (l == "extended") c.optimization = ORT_ENABLE_EXTENDED;
    else if (l == "all") c.optimization = ORT_ENABLE_ALL;
    else InvalidOption("graphOptimizationLevel", "'disabled', 'basic', 'extended' or 'all'", v);
  }
  if (Has(o, "allowSpinning")) {
    Napi::Value v = o.Get("allowSpinning");
    if (!v.IsBoolean()) InvalidOption("allowSpinning", "a boolean", v);
    c.allow_spinning = v.As<Napi::Boolean>().Value();
  }
  return c;
}

BatchConfig ParseBatchConfig(const Napi::Object& o) {
  BatchConfig c;
  c.max_batch_size = (size_t)Number(o, "maxBatchSize", (double)c.max_batch_size, 1, 4096, true);
  c.max_batch_tokens = (size_t)Number(o, "maxBatchTokens", (double)c.max_batch_tokens, 1, 1 << 24, true);
  c.max_wait_ms = Number(o, "maxWaitMs", c.max_wait_ms, 0, 10000, false);
  c.max_queue = (size_t)Number(o, "maxQueue", (double)c.max_queue, 1, 1 << 24, true);
  c.max_tokens = (size_t)Number(o, "maxTokens", (double)c.max_tokens, 1, 1 << 20, true);
  c.workers = (size_t)Number(o, "workers", (double)c.workers, 1, 64, true);
  c.spin_us = Number(o, "workerSpinUs", c.spin_us, 0, 100000, false);
  if (Has(o, "lengthBucketing")) {
    Napi::Value v = o.Get("lengthBucketing");
    if (!v.IsBoolean()) InvalidOption("lengthBucketing", "a boolean", v);
    c.length_bucketing = v.As<Napi::Boolean>().Value();
  }
  return c;
}

}  // namespace engine
