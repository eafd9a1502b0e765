// Reasoning details (OpenRouter's `reasoning_details`) kept so that they can be sent back
// unchanged on the assistant message that made tool calls, which reasoning models require to
// continue their reasoning. A non-streamed answer carries the array whole; a streamed one sends
// fragments keyed by `index` whose text fields ("text", "summary", "data") are concatenated and
// whose other fields ("type", "id", "format", "signature") arrive once.
//
// It does not interpret reasoning: the array is opaque JSON to the rest of the worker.
#pragma once

#include <cjson/cJSON.h>

#include <string>
#include <utility>
#include <vector>

#include "common/json.h"

namespace sg {

class ReasoningDetails {
 public:
  // Merges one streamed delta's `reasoning_details` array.
  void addDelta(const cJSON* details);
  // Takes a complete array (a non-streamed message's field).
  void setComplete(const cJSON* details);

  bool empty() const { return complete_ == nullptr && entries_.empty(); }
  // The array as JSON text; "" when there is none.
  std::string json() const;
  void reset();

 private:
  // One element being assembled: its plain fields, and its text fields accumulated apart so that
  // thousands of fragments cost linear time.
  struct Entry {
    bool has_index = false;
    double index = 0;
    JsonPtr fields;
    std::vector<std::pair<std::string, std::string>> texts;
  };
  Entry& entryFor(const cJSON* fragment);

  JsonPtr complete_;
  std::vector<Entry> entries_;
};

}  // namespace sg
