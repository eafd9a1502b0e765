// The std::string sink behind msgpack-c's packer.
#include "common/msgpack_writer.h"

namespace sg {

MsgpackWriter::MsgpackWriter(size_t reserve) {
  out_.reserve(reserve);
  msgpack_packer_init(&packer_, &out_, &MsgpackWriter::onWrite);
}

int MsgpackWriter::onWrite(void* data, const char* buf, size_t len) noexcept {
  if (len > 0) static_cast<std::string*>(data)->append(buf, len);
  return 0;
}

void MsgpackWriter::boolean(bool value) {
  if (value) {
    msgpack_pack_true(&packer_);
  } else {
    msgpack_pack_false(&packer_);
  }
}

void MsgpackWriter::str(std::string_view value) {
  msgpack_pack_str(&packer_, value.size());
  msgpack_pack_str_body(&packer_, value.data(), value.size());
}

void MsgpackWriter::bin(std::string_view value) {
  msgpack_pack_bin(&packer_, value.size());
  msgpack_pack_bin_body(&packer_, value.data(), value.size());
}

void MsgpackWriter::optStr(const std::optional<std::string>& value) {
  if (value) {
    str(*value);
  } else {
    nil();
  }
}

void MsgpackWriter::field(std::string_view key, std::string_view value) {
  str(key);
  str(value);
}

void MsgpackWriter::optField(std::string_view key, const std::optional<std::string>& value) {
  str(key);
  optStr(value);
}

void MsgpackWriter::boolField(std::string_view key, bool value) {
  str(key);
  boolean(value);
}

void MsgpackWriter::intField(std::string_view key, int64_t value) {
  str(key);
  integer(value);
}

void MsgpackWriter::floatField(std::string_view key, double value) {
  str(key);
  float64(value);
}

void MsgpackWriter::strArrayField(std::string_view key, const std::vector<std::string>& values) {
  str(key);
  array(static_cast<uint32_t>(values.size()));
  for (const std::string& value : values) str(value);
}

}  // namespace sg
