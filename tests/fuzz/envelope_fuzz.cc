// libFuzzer target for the bus decoders: arbitrary bytes go to decodeEnvelope (default and tight
// limits), decodeRpcReply with the typed result decoders, and msgpackToJson. Beyond "no crash,
// no leak, no UB" (ASan+UBSan), it checks invariants and traps when one breaks:
// - a decode gives exactly one of a value and a reason, and the reason is in the protocol's list;
// - a decoded value re-encodes to bytes that decode to the same value;
// - whatever decodes also renders as JSON that cJSON can parse.
#include <cjson/cJSON.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bus_codec.h"
#include "common/msgpack_json.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool knownReason(std::string_view reason) {
  for (std::string_view whole :
       {sg::reason::kMalformedMsgpack, sg::reason::kNotAMap, sg::reason::kUnsupportedVersion,
        sg::reason::kUnknownType, sg::reason::kTooDeep, sg::reason::kTooLargePayload}) {
    if (reason == whole) return true;
  }
  for (std::string_view kind :
       {sg::reason::kMissingField, sg::reason::kWrongType, sg::reason::kInvalidValue,
        sg::reason::kTooLarge, sg::reason::kInvalidUtf8}) {
    if (reason.size() > kind.size() + 1 && reason.starts_with(kind) && reason[kind.size()] == ':') {
      return true;
    }
  }
  return false;
}

template <typename T>
void checkShape(const sg::Decoded<T>& decoded) {
  check(decoded.ok() == decoded.reason.empty());
  if (!decoded.ok()) check(knownReason(decoded.reason));
}

void checkJson(std::string_view bytes) {
  const std::optional<std::string> json = sg::msgpackToJson(bytes);
  if (!json) return;
  cJSON* parsed = cJSON_ParseWithLength(json->data(), json->size());
  check(parsed != nullptr);
  cJSON_Delete(parsed);
}

// Re-encoding may add bytes (nil for absent optional keys), so the second decode lifts the
// payload limit; every other limit holds for what the first decode accepted.
sg::LimitsConfig lifted(sg::LimitsConfig limits) {
  limits.payload_bytes = UINT32_MAX / sg::kMaxFetchMessages;
  return limits;
}

void fuzzEnvelope(std::string_view bytes, const sg::LimitsConfig& limits) {
  const sg::DecodeResult decoded = sg::decodeEnvelope(bytes, limits);
  checkShape(decoded);
  if (!decoded.ok()) return;
  const sg::DecodeResult again =
      sg::decodeEnvelope(sg::encodeEnvelope(*decoded.value), lifted(limits));
  check(again.ok() && *again.value == *decoded.value);
  checkJson(decoded.value->message.extra);
}

void fuzzResults(std::string_view result, const sg::LimitsConfig& limits) {
  const auto messages = sg::decodeFetchMessagesResult(result, limits);
  checkShape(messages);
  if (messages.ok()) {
    const auto again = sg::decodeFetchMessagesResult(sg::encodeFetchMessagesResult(*messages.value),
                                                     lifted(limits));
    check(again.ok() && *again.value == *messages.value);
  }
  const auto user = sg::decodeGetUserResult(result, limits);
  checkShape(user);
  if (user.ok()) {
    check(*sg::decodeGetUserResult(sg::encodeGetUserResult(*user.value), limits).value ==
          *user.value);
  }
  const auto channel = sg::decodeGetChannelResult(result, limits);
  checkShape(channel);
  if (channel.ok()) {
    check(*sg::decodeGetChannelResult(sg::encodeGetChannelResult(*channel.value), limits).value ==
          *channel.value);
  }
}

void fuzzRpcReply(std::string_view bytes, const sg::LimitsConfig& limits) {
  const sg::Decoded<sg::RpcReply> decoded = sg::decodeRpcReply(bytes, limits);
  checkShape(decoded);
  if (!decoded.ok()) {
    fuzzResults(bytes, limits);  // the bytes as a bare result, too
    return;
  }
  const auto again = sg::decodeRpcReply(sg::encodeRpcReply(*decoded.value), lifted(limits));
  check(again.ok() && *again.value == *decoded.value);
  if (decoded.value->ok) fuzzResults(decoded.value->result, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const sg::LimitsConfig defaults;
  sg::LimitsConfig tight;
  tight.payload_bytes = 4096;
  tight.content_bytes = 64;
  tight.attachments = 2;
  tight.depth = 6;
  fuzzEnvelope(bytes, defaults);
  fuzzEnvelope(bytes, tight);
  fuzzRpcReply(bytes, defaults);
  checkJson(bytes);
  return 0;
}
