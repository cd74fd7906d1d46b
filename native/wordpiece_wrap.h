// The JS face of WordPiece (wordpiece.h): built once per model by lib/wordpiece.ts, called synchronously on the JS
// thread (a tokenize costs a few microseconds, less than a hop to another thread would).
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "wordpiece.h"

namespace engine {

class WordPieceWrap : public Napi::ObjectWrap<WordPieceWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new WordPiece(setup: { tokens: string[], ids: Int32Array, unkId, continuingSubwordPrefix, maxInputCharsPerWord,
  //   cleanText, lowercase, prefix: Int32Array, suffix: Int32Array, specialIds: Int32Array, addedTokens: string[],
  //   status: Int32Array })  [sync]. Throws TypeError on a malformed setup.
  explicit WordPieceWrap(const Napi::CallbackInfo& info);

 private:
  // encode(text: string, limit: number, truncate: boolean) -> Int32Array | null  [sync]
  // The ids, with status[0] set to 1 when truncated, else 0; null when the JS tokenizer must answer (non-ASCII
  // text, an added token's text, or too long with truncate false, where the JS path throws InputTooLongError).
  Napi::Value Encode(const Napi::CallbackInfo& info);
  // encodeWords(text: string, bounds: Int32Array, budget: number) -> Int32Array | null  [sync]
  // Each word's ids without special tokens, at most `budget` of them; the words are [bounds[2i], bounds[2i+1]) in
  // JS string indices. The result holds the words' id counts, then their ids. One call per block of words, not one per
  // word (parse needs each token's word). null when the JS tokenizer must answer: non-ASCII text (where string
  // indices are not byte offsets) or an added token's text in a word.
  Napi::Value EncodeWords(const Napi::CallbackInfo& info);

  std::unique_ptr<WordPiece> wordpiece_;
  // status[0]: truncated. A buffer shared with JS at construction, so a call returns no extra object.
  Napi::Reference<Napi::Int32Array> status_;
  int32_t* status_data_ = nullptr;
  std::string text_;
  std::vector<int32_t> ids_;
  std::vector<int32_t> word_counts_;
  std::vector<int32_t> word_ids_;
  size_t prefix_size_ = 0;
  size_t suffix_size_ = 0;
  EncodeScratch scratch_;
};

}  // namespace engine
