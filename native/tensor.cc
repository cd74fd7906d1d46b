#include "tensor.h"

#include <algorithm>

namespace engine {
namespace {

template <typename T>
void Fill(T* out, InputRole role, const std::vector<Request*>& batch, size_t len, int64_t pad_id) {
  for (size_t row = 0; row < batch.size(); ++row) {
    const Request& r = *batch[row];
    const size_t n = r.ids.size();
    T* dst = out + row * len;
    for (size_t i = 0; i < len; ++i) {
      const bool real = i < n;
      switch (role) {
        case InputRole::Ids: dst[i] = static_cast<T>(real ? r.ids[i] : pad_id); break;
        case InputRole::Mask: dst[i] = static_cast<T>(real ? 1 : 0); break;
        case InputRole::TypeIds: dst[i] = static_cast<T>(real && !r.type_ids.empty() ? r.type_ids[i] : 0); break;
        case InputRole::PositionIds: dst[i] = static_cast<T>(i); break;
      }
    }
  }
}

}  // namespace

size_t LongestRequest(const std::vector<Request*>& batch) {
  size_t len = 0;
  for (const Request* r : batch) len = std::max(len, r->ids.size());
  return len;
}

std::vector<Ort::Value> BuildInputs(const std::vector<InputBinding>& inputs, const std::vector<Request*>& batch,
                                    int64_t pad_id, OrtAllocator* alloc) {
  const size_t len = LongestRequest(batch);
  const int64_t shape[2] = {static_cast<int64_t>(batch.size()), static_cast<int64_t>(len)};
  std::vector<Ort::Value> values;
  values.reserve(inputs.size());
  for (const InputBinding& in : inputs) {
    Ort::Value v = Ort::Value::CreateTensor(alloc, shape, 2, in.type);
    if (in.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64) {
      Fill(v.GetTensorMutableData<int64_t>(), in.role, batch, len, pad_id);
    } else {
      Fill(v.GetTensorMutableData<int32_t>(), in.role, batch, len, pad_id);
    }
    values.push_back(std::move(v));
  }
  return values;
}

void WidenHalf(const Ort::Float16_t* src, size_t count, std::vector<float>* out) {
  out->resize(count);
  for (size_t i = 0; i < count; ++i) (*out)[i] = src[i].ToFloat();
}

}  // namespace engine
