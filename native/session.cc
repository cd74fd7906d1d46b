#include "session.h"

#include <mutex>

#include "errors.h"

namespace engine {
namespace {

// ONNX Runtime wants exactly one environment per process.
Ort::Env& SharedEnv() {
  static std::once_flag once;
  static std::unique_ptr<Ort::Env> env;
  std::call_once(once, [] { env = std::make_unique<Ort::Env>(ORT_LOGGING_LEVEL_ERROR, "textclf-engine"); });
  return *env;
}

std::string TypeName(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return "bool";
    default: return "type#" + std::to_string(static_cast<int>(t));
  }
}

IoInfo Describe(const std::string& name, const Ort::TypeInfo& info) {
  auto tensor = info.GetTensorTypeAndShapeInfo();
  return {name, TypeName(tensor.GetElementType()), tensor.GetShape()};
}

bool RoleFor(const std::string& name, InputRole* role) {
  if (name == "input_ids") *role = InputRole::Ids;
  else if (name == "attention_mask") *role = InputRole::Mask;
  else if (name == "token_type_ids") *role = InputRole::TypeIds;
  else if (name == "position_ids") *role = InputRole::PositionIds;
  else return false;
  return true;
}

// The provider libraries are loaded by ONNX Runtime when the provider is appended; name the one that is missing.
[[noreturn]] void ProviderUnavailable(const std::string& provider, const std::string& detail) {
  const char* lib = provider == "cuda" ? "libonnxruntime_providers_cuda.so" : "libonnxruntime_providers_tensorrt.so";
  throw EngineError(ErrorCode::ProviderUnavailable,
                    "execution provider '" + provider + "' is unavailable: " + lib +
                        " (and its CUDA runtime) could not be loaded by ONNX Runtime. Use executionProvider 'cpu', "
                        "or run `npm run doctor` to see what is missing and how to install it (`npm run setup-gpu`). "
                        "Detail: " + detail);
}

}  // namespace

std::vector<std::string> AvailableProviders() { return Ort::GetAvailableProviders(); }

void AppendProvider(Ort::SessionOptions& options, const std::string& provider, int device_id) {
  if (provider == "cpu") return;
  try {
#if defined(ENGINE_WITH_CUDA)
    if (provider == "cuda") {
      OrtCUDAProviderOptionsV2* cuda = nullptr;
      Ort::ThrowOnError(Ort::GetApi().CreateCUDAProviderOptions(&cuda));
      std::unique_ptr<OrtCUDAProviderOptionsV2, void (*)(OrtCUDAProviderOptionsV2*)> guard(
          cuda, Ort::GetApi().ReleaseCUDAProviderOptions);
      std::string device = std::to_string(device_id);
      const char* keys[] = {"device_id"};
      const char* values[] = {device.c_str()};
      Ort::ThrowOnError(Ort::GetApi().UpdateCUDAProviderOptions(cuda, keys, values, 1));
      options.AppendExecutionProvider_CUDA_V2(*cuda);
      return;
    }
#endif
#if defined(ENGINE_WITH_TENSORRT)
    if (provider == "tensorrt") {
      OrtTensorRTProviderOptionsV2* trt = nullptr;
      Ort::ThrowOnError(Ort::GetApi().CreateTensorRTProviderOptions(&trt));
      std::unique_ptr<OrtTensorRTProviderOptionsV2, void (*)(OrtTensorRTProviderOptionsV2*)> guard(
          trt, Ort::GetApi().ReleaseTensorRTProviderOptions);
      std::string device = std::to_string(device_id);
      const char* keys[] = {"device_id"};
      const char* values[] = {device.c_str()};
      Ort::ThrowOnError(Ort::GetApi().UpdateTensorRTProviderOptions(trt, keys, values, 1));
      options.AppendExecutionProvider_TensorRT_V2(*trt);
      return;
    }
#endif
  } catch (const Ort::Exception& e) {
    ProviderUnavailable(provider, e.what());
  }
  throw EngineError(ErrorCode::ProviderUnavailable,
                    "execution provider '" + provider + "' was not enabled when this addon was built");
}

ProbeResult ProbeProvider(const std::string& provider, int device_id) {
  SharedEnv();
  Ort::SessionOptions options;
  try {
    AppendProvider(options, provider, device_id);
    return {true, ""};
  } catch (const EngineError& e) {
    return {false, e.what()};
  }
}

Session::Session(const SessionConfig& config) : config_(config) {
  Ort::Env& env = SharedEnv();  // first: appending a provider already logs through the environment
  Ort::SessionOptions options;
  options.SetGraphOptimizationLevel(config_.optimization);
  if (config_.intra_op_threads > 0) options.SetIntraOpNumThreads(config_.intra_op_threads);
  if (config_.inter_op_threads > 0) options.SetInterOpNumThreads(config_.inter_op_threads);
  options.AddConfigEntry("session.intra_op.allow_spinning", config_.allow_spinning ? "1" : "0");
  AppendProvider(options, config_.provider, config_.device_id);

  try {
    session_ = std::make_unique<Ort::Session>(env, config_.model_path.c_str(), options);
  } catch (const Ort::Exception& e) {
    std::string what = e.what();
    if (config_.provider != "cpu" && (what.find("provider") != std::string::npos || what.find(".so") != std::string::npos))
      ProviderUnavailable(config_.provider, what);
    throw EngineError(ErrorCode::ModelLoad, "cannot load ONNX model '" + config_.model_path + "': " + what);
  }

  Ort::AllocatorWithDefaultOptions allocator;
  std::string unsupported;
  for (size_t i = 0; i < session_->GetInputCount(); ++i) {
    std::string name = session_->GetInputNameAllocated(i, allocator).get();
    IoInfo info = Describe(name, session_->GetInputTypeInfo(i));
    inputs_.push_back(info);
    InputRole role;
    auto type = session_->GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetElementType();
    bool int_type = type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 || type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    if (!RoleFor(name, &role) || !int_type || info.shape.size() != 2) {
      unsupported += (unsupported.empty() ? "" : ", ") + name + " (" + info.type + ", rank " +
                     std::to_string(info.shape.size()) + ")";
      continue;
    }
    bindings_.push_back({name, role, type});
  }
  bool has_ids = false;
  for (const auto& b : bindings_) has_ids = has_ids || b.role == InputRole::Ids;
  if (!unsupported.empty() || !has_ids)
    throw EngineError(ErrorCode::ModelLoad,
                      "model '" + config_.model_path + "' has inputs the engine cannot feed: " +
                          (has_ids ? unsupported : "no input_ids") +
                          ". Supported: input_ids, attention_mask, token_type_ids, position_ids as int64/int32 [batch, sequence]");

  for (size_t i = 0; i < session_->GetOutputCount(); ++i) {
    std::string name = session_->GetOutputNameAllocated(i, allocator).get();
    IoInfo info = Describe(name, session_->GetOutputTypeInfo(i));
    // float16 outputs (a plain fp16 export) are widened to float32 as they are split per request.
    if (info.type != "float32" && info.type != "float16")
      throw EngineError(ErrorCode::ModelLoad, "model output '" + name + "' is " + info.type + "; the engine reads float32 or float16 outputs");
    outputs_.push_back(info);
  }
  for (const auto& b : bindings_) input_names_.push_back(b.name.c_str());
  for (const auto& o : outputs_) output_names_.push_back(o.name.c_str());

  if (config_.provider != "cpu") {
    Ort::MemoryInfo pinned("CudaPinned", OrtDeviceAllocator, config_.device_id, OrtMemTypeCPUOutput);
    pinned_ = std::make_unique<Ort::Allocator>(*session_, pinned);
  }
}

std::vector<std::vector<OutputSlice>> Session::Run(const std::vector<Request*>& batch) {
  const size_t rows = batch.size();
  const int64_t len = static_cast<int64_t>(LongestRequest(batch));
  Ort::AllocatorWithDefaultOptions cpu;
  OrtAllocator* alloc = pinned_ ? static_cast<OrtAllocator*>(*pinned_) : static_cast<OrtAllocator*>(cpu);
  std::vector<Ort::Value> values;
  std::vector<Ort::Value> results;
  try {
    values = BuildInputs(bindings_, batch, config_.pad_id, alloc);
    results = session_->Run(Ort::RunOptions{nullptr}, input_names_.data(), values.data(), values.size(),
                            output_names_.data(), output_names_.size());
  } catch (const Ort::Exception& e) {
    throw EngineError(ErrorCode::Inference, std::string("ONNX Runtime run failed: ") + e.what());
  }

  std::vector<std::vector<OutputSlice>> per_request(rows);
  for (size_t o = 0; o < results.size(); ++o) {
    auto shape = results[o].GetTensorTypeAndShapeInfo().GetShape();
    if (shape.empty() || shape[0] != static_cast<int64_t>(rows))
      throw EngineError(ErrorCode::Inference, "output '" + outputs_[o].name + "' has no leading batch dimension");
    // [batch, sequence, ...] outputs are per token: keep only the request's own tokens, not the padding.
    const bool per_token = shape.size() >= 3 && outputs_[o].shape.size() >= 2 && outputs_[o].shape[1] < 0 && shape[1] == len;
    size_t inner = 1;
    for (size_t d = per_token ? 2 : 1; d < shape.size(); ++d) inner *= static_cast<size_t>(shape[d]);
    const size_t row_stride = per_token ? inner * static_cast<size_t>(len) : inner;
    const bool half = outputs_[o].type == "float16";
    for (size_t r = 0; r < rows; ++r) {
      OutputSlice slice;
      slice.name = outputs_[o].name;
      size_t count = inner;
      if (per_token) {
        const int64_t tokens = static_cast<int64_t>(batch[r]->ids.size());
        slice.dims.push_back(tokens);
        count = inner * static_cast<size_t>(tokens);
      }
      slice.dims.insert(slice.dims.end(), shape.begin() + (per_token ? 2 : 1), shape.end());
      if (half) {
        WidenHalf(results[o].GetTensorData<Ort::Float16_t>() + r * row_stride, count, &slice.data);
      } else {
        const float* begin = results[o].GetTensorData<float>() + r * row_stride;
        slice.data.assign(begin, begin + count);
      }
      per_request[r].push_back(std::move(slice));
    }
  }
  return per_request;
}

}  // namespace engine
