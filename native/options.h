// JS option objects -> plain config structs, parsed once on the JS thread. Errors name the option path.
#pragma once

#include <napi.h>
#include <onnxruntime_cxx_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace engine {

struct SessionConfig {
  std::string model_path;
  std::string provider = "cpu";  // cpu | cuda | tensorrt
  int device_id = 0;
  int intra_op_threads = 0;  // 0: ONNX Runtime's default (one per physical core)
  int inter_op_threads = 0;
  GraphOptimizationLevel optimization = ORT_ENABLE_ALL;
  bool allow_spinning = true;
  int64_t pad_id = 0;
};

struct BatchConfig {
  size_t max_batch_size = 32;
  size_t max_batch_tokens = 16384;  // padded tokens (longest x count) in one run
  double max_wait_ms = 0;           // how long the first request of a batch may wait for company
  size_t max_queue = 4096;          // queued requests beyond this are rejected (OverloadedError)
  size_t max_tokens = 512;          // longest accepted request
  bool length_bucketing = true;     // sort a round by length so short texts are not padded to long ones
  size_t workers = 1;               // worker threads, each running its own batch (several batches in flight)
  double spin_us = 0;               // how long an idle worker polls the queue before it sleeps on the condition variable
};

// Throw EngineError(InvalidOption) naming `options.<key>` when a value has the wrong type or range.
SessionConfig ParseSessionConfig(const std::string& model_path, const Napi::Object& options);
BatchConfig ParseBatchConfig(const Napi::Object& options);

}  // namespace engine
