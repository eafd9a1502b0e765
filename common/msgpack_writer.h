// MessagePack output through msgpack-c's packer, straight into a std::string (one buffer, no
// copy at the end). The writer only emits what it is told: the caller declares map and array
// sizes that match what it then writes. It does not read (that is msgpack_reader).
//
// Include it only from .cc files: it brings <msgpack.h>, which must not meet msgpack-cxx's
// <msgpack.hpp> in one translation unit.
#pragma once

#include <msgpack.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg {

class MsgpackWriter {
 public:
  explicit MsgpackWriter(size_t reserve = 256);
  MsgpackWriter(const MsgpackWriter&) = delete;
  MsgpackWriter& operator=(const MsgpackWriter&) = delete;

  void map(uint32_t pairs) { msgpack_pack_map(&packer_, pairs); }
  void array(uint32_t elements) { msgpack_pack_array(&packer_, elements); }
  void nil() { msgpack_pack_nil(&packer_); }
  void boolean(bool value);
  void integer(int64_t value) { msgpack_pack_int64(&packer_, value); }
  void uinteger(uint64_t value) { msgpack_pack_uint64(&packer_, value); }
  void float64(double value) { msgpack_pack_double(&packer_, value); }
  void str(std::string_view value);
  void bin(std::string_view value);
  // A string, or nil when absent.
  void optStr(const std::optional<std::string>& value);
  // `encoded` is one complete MessagePack value, copied as it is (e.g. a kept `extra` map).
  void raw(std::string_view encoded) { out_.append(encoded); }
  // One key/value pair of a map being written (distinct names: a string literal must never
  // pick a bool overload).
  void field(std::string_view key, std::string_view value);
  void optField(std::string_view key, const std::optional<std::string>& value);  // str or nil
  void boolField(std::string_view key, bool value);
  void intField(std::string_view key, int64_t value);
  void floatField(std::string_view key, double value);
  void strArrayField(std::string_view key, const std::vector<std::string>& values);

  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  // msgpack-c's write callback. An allocation failure inside it terminates (noexcept): it is
  // not an input error, and no exception may cross the C packer.
  static int onWrite(void* data, const char* buf, size_t len) noexcept;

  std::string out_;
  msgpack_packer packer_;
};

}  // namespace sg
