#include "wordpiece_wrap.h"

#include <algorithm>
#include <utility>

namespace engine {
namespace {

Napi::Value Field(const Napi::Object& setup, const char* name) {
  Napi::Value value = setup.Get(name);
  if (value.IsUndefined()) throw Napi::TypeError::New(setup.Env(), std::string("WordPiece setup: missing ") + name);
  return value;
}

std::vector<int32_t> Ints(const Napi::Object& setup, const char* name) {
  Napi::Value value = Field(setup, name);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(setup.Env(), std::string("WordPiece setup: ") + name + " must be an Int32Array");
  auto array = value.As<Napi::Int32Array>();
  return std::vector<int32_t>(array.Data(), array.Data() + array.ElementLength());
}

std::vector<std::string> Strings(const Napi::Object& setup, const char* name) {
  Napi::Value value = Field(setup, name);
  if (!value.IsArray()) throw Napi::TypeError::New(setup.Env(), std::string("WordPiece setup: ") + name + " must be an array");
  auto array = value.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) throw Napi::TypeError::New(setup.Env(), std::string("WordPiece setup: ") + name + " must hold strings");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

// Copies a JS string into a reused buffer: ask its UTF-8 length, then fill (no allocation once it has grown).
std::string_view Utf8Into(Napi::Env env, Napi::Value value, std::string& buffer) {
  size_t length = 0;
  napi_get_value_string_utf8(env, value, nullptr, 0, &length);
  buffer.resize(length + 1);
  napi_get_value_string_utf8(env, value, buffer.data(), buffer.size(), &length);
  return std::string_view(buffer.data(), length);
}

}  // namespace

Napi::Function WordPieceWrap::Define(Napi::Env env) {
  return DefineClass(env, "WordPiece", {InstanceMethod<&WordPieceWrap::Encode>("encode"),
                                        InstanceMethod<&WordPieceWrap::EncodeWords>("encodeWords")});
}

WordPieceWrap::WordPieceWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WordPieceWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "new WordPiece(setup: object)");
  Napi::Object setup = info[0].As<Napi::Object>();
  WordPieceConfig config;
  config.tokens = Strings(setup, "tokens");
  config.ids = Ints(setup, "ids");
  if (config.ids.size() != config.tokens.size())
    throw Napi::TypeError::New(env, "WordPiece setup: tokens and ids differ in length");
  config.unk_id = Field(setup, "unkId").As<Napi::Number>().Int32Value();
  config.continuing_subword_prefix = Field(setup, "continuingSubwordPrefix").As<Napi::String>().Utf8Value();
  config.max_input_chars_per_word = Field(setup, "maxInputCharsPerWord").As<Napi::Number>().Uint32Value();
  config.clean_text = Field(setup, "cleanText").ToBoolean().Value();
  config.lowercase = Field(setup, "lowercase").ToBoolean().Value();
  config.prefix = Ints(setup, "prefix");
  config.suffix = Ints(setup, "suffix");
  prefix_size_ = config.prefix.size();
  suffix_size_ = config.suffix.size();
  config.special_ids = Ints(setup, "specialIds");
  config.added_tokens = Strings(setup, "addedTokens");
  Napi::Value status = Field(setup, "status");
  if (!status.IsTypedArray() || status.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      status.As<Napi::Int32Array>().ElementLength() < 1)
    throw Napi::TypeError::New(env, "WordPiece setup: status must be an Int32Array of length >= 1");
  status_ = Napi::Persistent(status.As<Napi::Int32Array>());
  status_data_ = status_.Value().Data();
  wordpiece_ = std::make_unique<WordPiece>(std::move(config));
}

Napi::Value WordPieceWrap::Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "encode(text: string, limit: number, truncate: boolean)");
  const size_t length = Utf8Into(env, info[0], text_).size();
  const double limit = info[1].As<Napi::Number>().DoubleValue();
  if (!(limit >= 0 && limit <= 1e9)) throw Napi::TypeError::New(env, "encode: limit must be a number in [0, 1e9]");
  EncodeStatus status = wordpiece_->Encode(std::string_view(text_.data(), length), static_cast<size_t>(limit),
                                           info[2].ToBoolean().Value(), ids_, scratch_);
  if (status == EncodeStatus::kFallback || status == EncodeStatus::kTooLong) return env.Null();
  status_data_[0] = status == EncodeStatus::kTruncated ? 1 : 0;
  Napi::Int32Array out = Napi::Int32Array::New(env, ids_.size());
  std::copy(ids_.begin(), ids_.end(), out.Data());
  return out;
}

Napi::Value WordPieceWrap::EncodeWords(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "encodeWords(text: string, bounds: Int32Array, budget: number)");
  const std::string_view text = Utf8Into(env, info[0], text_);
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) return env.Null();
  auto bounds = info[1].As<Napi::Int32Array>();
  const double budget = info[2].As<Napi::Number>().DoubleValue();
  if (!(budget >= 1 && budget <= 1e8)) throw Napi::TypeError::New(env, "encodeWords: budget must be a number in [1, 1e8]");
  const size_t words = bounds.ElementLength() / 2;
  word_counts_.clear();
  word_ids_.clear();
  for (size_t w = 0; w < words; ++w) {
    const int32_t start = bounds[2 * w], end = bounds[2 * w + 1];
    if (start < 0 || end < start || static_cast<size_t>(end) > text.size())
      throw Napi::RangeError::New(env, "encodeWords: a word's bounds lie outside the text");
    // Encode with room for `budget` pieces between the special tokens, then keep only the pieces.
    EncodeStatus status = wordpiece_->Encode(text.substr(start, end - start),
                                             static_cast<size_t>(budget) + prefix_size_ + suffix_size_, true, ids_, scratch_);
    if (status == EncodeStatus::kFallback || status == EncodeStatus::kTooLong) return env.Null();
    word_counts_.push_back(static_cast<int32_t>(ids_.size() - prefix_size_ - suffix_size_));
    word_ids_.insert(word_ids_.end(), ids_.begin() + prefix_size_, ids_.end() - suffix_size_);
  }
  Napi::Int32Array out = Napi::Int32Array::New(env, word_counts_.size() + word_ids_.size());
  std::copy(word_counts_.begin(), word_counts_.end(), out.Data());
  std::copy(word_ids_.begin(), word_ids_.end(), out.Data() + word_counts_.size());
  return out;
}

}  // namespace engine
