// A WordPiece tokenizer for the common case of classify(): BertNormalizer + BertPreTokenizer + WordPiece, one text,
// fixed special tokens around it, cut to a token limit. Native because the JS tokenizer was half of the JS thread's
// time per request (bench/js-thread.ts). lib/wordpiece.ts decides which tokenizer.json files qualify and hands the
// vocabulary over once; the result must be the ids @huggingface/tokenizers gives (lib/tokenize.ts, the reference),
// so anything this file does not reproduce exactly is sent back to the JS tokenizer (EncodeStatus::kFallback).
// No napi.h here: wordpiece_wrap.cc is the JS face.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vocab_table.h"

namespace engine {

struct WordPieceConfig {
  // The vocabulary: tokens[i] has id ids[i] (added tokens included, as the JS tokenizer looks them up).
  std::vector<std::string> tokens;
  std::vector<int32_t> ids;
  int32_t unk_id = 0;
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
  // BertNormalizer flags that change ASCII text (handle_chinese_chars and strip_accents never do).
  bool clean_text = true;
  bool lowercase = true;
  // What the post-processor puts around one text ([CLS] ... [SEP]).
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
  // Ids of special added tokens: the truncation keeps the trailing run of them, as lib/tokenize.ts does.
  std::vector<int32_t> special_ids;
  // Added-token strings (raw and normalized forms): a text holding one goes to the JS tokenizer, which splits them out.
  std::vector<std::string> added_tokens;
};

enum class EncodeStatus {
  kOk,
  kTruncated,  // over the limit: the head and the closing special tokens were kept
  kTooLong,    // over the limit and truncation was refused: the JS path throws InputTooLongError with its message
  kFallback,   // non-ASCII or an added token's text: only the JS tokenizer gives the reference ids
};

// Buffers Encode reuses across calls (the caller owns them, so the tokenizer itself stays const and shareable).
struct EncodeScratch {
  std::string normalized;
  std::string part;
  std::vector<int32_t> pieces;
};

class WordPiece {
 public:
  explicit WordPiece(WordPieceConfig config);

  // Replaces `out` with the ids of `text` (UTF-8) cut to `limit` tokens, exactly as TextTokenizer.encode does.
  EncodeStatus Encode(std::string_view text, size_t limit, bool truncate, std::vector<int32_t>& out,
                      EncodeScratch& scratch) const;

 private:
  // BertNormalizer on ASCII text: clean_text drops control characters and makes \t \n \r spaces; lowercase.
  void Normalize(std::string_view text, std::string& out) const;
  // BertPreTokenizer (words and single punctuation marks) then greedy longest-match-first WordPiece.
  void AppendPieces(std::string_view normalized, std::vector<int32_t>& out) const;
  void AppendWord(std::string_view word, std::vector<int32_t>& out) const;
  bool HoldsAddedToken(std::string_view text) const;

  WordPieceConfig config_;
  // Keys view config_.tokens (never resized after construction). Continuations are keyed without their prefix, so
  // a lookup is a view into the normalized text, no string built.
  VocabTable words_;
  VocabTable continuations_;
  size_t longest_word_ = 0;
  size_t longest_continuation_ = 0;
  std::vector<bool> special_;  // by id
};

}  // namespace engine
