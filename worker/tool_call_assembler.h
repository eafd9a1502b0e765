// Assembles the tool calls of one model answer from their streamed fragments. Fragments are keyed
// by `index` (the id and the name usually come only in the first one; a new id never marks the
// end of a call); arguments are concatenated, then checked: "" reads as {}, and anything but one
// JSON object ("{...}{...}", an array, a cut object) is an error, so no tool ever sees them.
//
// It does not run tools, decide rounds or look at finish_reason: the client completes a call once,
// whatever the stream repeats.
#pragma once

#include <cjson/cJSON.h>

#include <string>
#include <vector>

#include "worker/chat_types.h"

namespace sg {

class ToolCallAssembler {
 public:
  // Adds the fragments of one streamed delta's `tool_calls` array. A fragment without `index`
  // (servers that send whole calls) starts a new call when it brings an unseen id, else extends
  // the last one. False with `error` when the array or a fragment is not the protocol's shape.
  [[nodiscard]] bool addDelta(const cJSON* tool_calls, std::string* error);

  // Adds the complete `message.tool_calls` array of a non-streamed answer, one call per element.
  [[nodiscard]] bool addComplete(const cJSON* tool_calls, std::string* error);

  bool empty() const { return calls_.empty(); }

  // Checks every call and hands them over in index order. A call without an id gets a generated
  // one. False with `error` (naming the call) when a name is missing or arguments are not one
  // JSON object; `calls` is then left empty.
  [[nodiscard]] bool finish(std::vector<ToolCall>* calls, std::string* error);

  void reset() { calls_.clear(); }

 private:
  struct Partial {
    long index = 0;
    std::string id;
    std::string name;
    std::string arguments;
  };
  Partial* slot(long index);
  [[nodiscard]] bool apply(Partial& call, const cJSON* fragment, std::string* error);

  std::vector<Partial> calls_;  // few; kept in arrival order, sorted by index on finish
};

// True when `text` is exactly one JSON object (surrounding whitespace allowed).
bool isOneJsonObject(const std::string& text);

}  // namespace sg
