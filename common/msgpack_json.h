// Renders MessagePack bytes as JSON text, for tests (compared with the vectors' cases.json) and
// for logs (what a dead-lettered payload or an opaque `extra` held). Not a protocol encoder: the
// output is for reading, and some MessagePack values have no JSON twin (see below).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sg {

// JSON for exactly one well-formed MessagePack object nested at most `max_depth` deep, else
// nullopt. bin is {"$bin":"<hex>"}, ext is {"$ext":<type>,"hex":"<hex>"}, NaN and infinities
// are null, floats use the shortest text that reads back the same, map keys that are not str
// are rendered and quoted (1 becomes "1"; an array or map key becomes "$array" or "$map"), invalid
// UTF-8 in a str becomes U+FFFD.
[[nodiscard]] std::optional<std::string> msgpackToJson(std::string_view bytes,
                                                       uint32_t max_depth = 64);

}  // namespace sg
