// sg-fake-llm's answers in OpenRouter's exact shapes: the server-sent events of a streamed chat
// completion (": OPENROUTER PROCESSING" comments, a first delta with the role, content split in
// word-sized deltas, reasoning and reasoning_details fragments, tool-call fragments keyed by index
// with the id and name only in the first one and parallel calls interleaved, a finish chunk, a
// usage chunk whose choices are empty, [DONE]), a whole chat.completion body, error bodies, and
// embeddings with deterministic vectors.
//
// It does not pace or cut anything: the server writes these bytes as the reply says.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/fake_llm/reply_script.h"

namespace sg::fake {

struct CompletionContext {
  std::string model;
  std::string generation_id;
  std::string content;  // what to answer (the reply's content or the default answer)
  uint64_t prompt_tokens = 0;
  int64_t created = 0;
};

// Each element is one complete event (or comment block) with its blank line.
std::vector<std::string> streamEvents(const Reply& reply, const CompletionContext& context,
                                      int comments);
std::string wholeBody(const Reply& reply, const CompletionContext& context);
// {"error": <reply.error_json or a default for the status>}.
std::string errorBody(const Reply& reply);

// A unit vector of `dimensions` floats derived from `text` alone.
std::vector<float> embeddingFor(const std::string& text, int dimensions);
std::string embeddingsBody(const std::vector<std::string>& inputs, const std::string& model,
                           int dimensions);

}  // namespace sg::fake
