// Padding a batch of requests into the model's [batch, length] input tensors.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <string>
#include <vector>

#include "request.h"

namespace engine {

enum class InputRole { Ids, Mask, TypeIds, PositionIds };

struct InputBinding {
  std::string name;
  InputRole role;
  ONNXTensorElementDataType type;  // int64 or int32
};

// Right-pads every request to the batch's longest. `alloc` is pinned host memory when a GPU provider runs, so the
// copy to the device can be asynchronous; otherwise ONNX Runtime's default CPU allocator.
std::vector<Ort::Value> BuildInputs(const std::vector<InputBinding>& inputs, const std::vector<Request*>& batch,
                                    int64_t pad_id, OrtAllocator* alloc);

size_t LongestRequest(const std::vector<Request*>& batch);

// Appends `count` float16 values as float32 (a plain fp16 export's outputs).
void WidenHalf(const Ort::Float16_t* src, size_t count, std::vector<float>* out);

}  // namespace engine
