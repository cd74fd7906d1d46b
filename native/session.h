// One ONNX Runtime session: loading, input/output discovery and running one padded batch. No Node-API here.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <memory>
#include <string>
#include <vector>

#include "options.h"
#include "request.h"
#include "tensor.h"

namespace engine {

struct IoInfo {
  std::string name;
  std::string type;            // "int64", "int32", "float32", ...
  std::vector<int64_t> shape;  // -1 where the dimension is dynamic
};

class Session {
 public:
  // Throws EngineError: ModelLoad (missing/corrupt file, inputs that do not fit), ProviderUnavailable.
  explicit Session(const SessionConfig& config);

  const std::vector<IoInfo>& inputs() const { return inputs_; }
  const std::vector<IoInfo>& outputs() const { return outputs_; }
  const std::string& provider() const { return config_.provider; }

  // Runs one batch; returns, per request, every output with the batch dimension removed. Thread-safe (ONNX
  // Runtime allows concurrent Run calls on one session). Throws EngineError(Inference).
  std::vector<std::vector<OutputSlice>> Run(const std::vector<Request*>& batch);

 private:
  SessionConfig config_;
  std::unique_ptr<Ort::Session> session_;
  std::unique_ptr<Ort::Allocator> pinned_;  // CUDA pinned host memory for input tensors on GPU runs
  std::vector<InputBinding> bindings_;
  std::vector<IoInfo> inputs_;
  std::vector<IoInfo> outputs_;
  std::vector<const char*> input_names_;
  std::vector<const char*> output_names_;
};

// Providers compiled into the loaded ONNX Runtime library (e.g. CPUExecutionProvider).
std::vector<std::string> AvailableProviders();

// Appends 'cuda' or 'tensorrt' (no-op for 'cpu'); this is when ONNX Runtime loads the provider library.
// Throws EngineError(ProviderUnavailable) naming the library when it cannot be loaded.
void AppendProvider(Ort::SessionOptions& options, const std::string& provider, int device_id);

struct ProbeResult {
  bool ok;
  std::string error;
};
// Whether the provider's library loads (appended to throw-away options; no session, no model).
ProbeResult ProbeProvider(const std::string& provider, int device_id);

}  // namespace engine
