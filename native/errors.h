// Error codes shared by the native engine and lib/errors.ts. The JS side owns the Error classes; native code
// only carries a code and a message and asks the JS factory (see engine_wrap.cc) to build the real object.
#pragma once

#include <stdexcept>
#include <string>

namespace engine {

enum class ErrorCode {
  InvalidInput,         // ERR_INVALID_INPUT
  InvalidOption,        // ERR_INVALID_OPTION
  InputTooLong,         // ERR_INPUT_TOO_LONG
  Overloaded,           // ERR_OVERLOADED
  Aborted,              // ERR_ABORTED
  DeadlineExceeded,     // ERR_DEADLINE_EXCEEDED
  ModelLoad,            // ERR_MODEL_LOAD
  ProviderUnavailable,  // ERR_PROVIDER_UNAVAILABLE
  Inference,            // ERR_INFERENCE
  Disposed,             // ERR_DISPOSED
};

inline const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidInput: return "ERR_INVALID_INPUT";
    case ErrorCode::InvalidOption: return "ERR_INVALID_OPTION";
    case ErrorCode::InputTooLong: return "ERR_INPUT_TOO_LONG";
    case ErrorCode::Overloaded: return "ERR_OVERLOADED";
    case ErrorCode::Aborted: return "ERR_ABORTED";
    case ErrorCode::DeadlineExceeded: return "ERR_DEADLINE_EXCEEDED";
    case ErrorCode::ModelLoad: return "ERR_MODEL_LOAD";
    case ErrorCode::ProviderUnavailable: return "ERR_PROVIDER_UNAVAILABLE";
    case ErrorCode::Inference: return "ERR_INFERENCE";
    case ErrorCode::Disposed: return "ERR_DISPOSED";
  }
  return "ERR_INFERENCE";
}

// Thrown inside native code (never across the Node-API boundary: engine_wrap.cc converts it).
class EngineError : public std::runtime_error {
 public:
  EngineError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace engine
