// The inbound envelope (bus protocol section 1): decodeEnvelope, the worker's hot path, and
// encodeEnvelope / encodeIncomingMessage, the gateway's side used by tests and benchmarks.
// The order of checks and the rules where the protocol is silent are documented in bus_codec.h.
#include <array>

#include "common/bus_codec.h"
#include "common/field_reader.h"
#include "common/incoming_message_codec.h"
#include "common/msgpack_writer.h"

namespace sg {
namespace {

enum EnvelopeKey { kV, kType, kEventId, kPlatform, kSentAt, kTraceId, kMessage, kEnvelopeKeys };
constexpr std::array<std::string_view, kEnvelopeKeys> kEnvelopeNames = {
    "v", "type", "event_id", "platform", "sent_at", "trace_id", "message"};

constexpr size_t kMaxEventIdBytes = 128;
constexpr size_t kMaxPlatformBytes = 32;
constexpr size_t kMaxTraceIdBytes = 64;

// v, then type: a different version or type may have any other shape, so they go first.
bool readHeader(FieldReader& r, const std::array<size_t, kEnvelopeKeys>& s, const FieldPath& root,
                Envelope* e) {
  if (!r.version(s[kV], root.key("v"), &e->v)) return false;
  std::string_view type;
  if (!r.strView(s[kType], root.key("type"), &type)) return false;
  if (type != "message") return r.failWith(reason::kUnknownType);
  e->type.assign(type);
  return true;
}

bool readEventId(FieldReader& r, size_t at, const FieldPath& path, std::string* out) {
  std::string_view id;
  if (!r.strView(at, path, &id)) return false;
  if (id.empty() || id.size() > kMaxEventIdBytes) return r.fail(reason::kInvalidValue, path);
  out->assign(id);
  return true;
}

bool readPlatform(FieldReader& r, size_t at, const FieldPath& path, std::string* out) {
  std::string_view platform;
  if (!r.strView(at, path, &platform)) return false;
  if (!isPlatformName(platform)) return r.fail(reason::kInvalidValue, path);
  out->assign(platform);
  return true;
}

bool readTraceId(FieldReader& r, size_t at, const FieldPath& path,
                 std::optional<std::string>* out) {
  if (!r.optStr(at, path, Nil::kAllowed, out)) return false;
  if (*out && (*out)->size() > kMaxTraceIdBytes) return r.fail(reason::kInvalidValue, path);
  return true;
}

bool readEnvelope(FieldReader& r, Envelope* e) {
  const FieldPath root;
  std::array<size_t, kEnvelopeKeys> s;
  if (!r.map(0, root, kEnvelopeNames, s)) return false;
  auto key = [&](EnvelopeKey k) { return root.key(kEnvelopeNames[k]); };
  return readHeader(r, s, root, e) && readEventId(r, s[kEventId], key(kEventId), &e->event_id) &&
         readPlatform(r, s[kPlatform], key(kPlatform), &e->platform) &&
         r.time(s[kSentAt], key(kSentAt), &e->sent_at) &&
         readTraceId(r, s[kTraceId], key(kTraceId), &e->trace_id) &&
         readIncomingMessage(r, s[kMessage], key(kMessage), &e->message);
}

}  // namespace

bool isPlatformName(std::string_view name) {
  if (name.empty() || name.size() > kMaxPlatformBytes) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

DecodeResult decodeEnvelope(std::string_view payload, const LimitsConfig& limits) {
  const PayloadRules rules{limits.payload_bytes, limits.depth, TopLevel::kMap};
  return decodePayload<Envelope>(payload, limits, rules, readEnvelope);
}

std::string encodeEnvelope(const Envelope& e) {
  MsgpackWriter w(512 + e.message.content.size() + e.message.extra.size());
  w.map(kEnvelopeKeys);
  w.intField("v", e.v);
  w.field("type", e.type);
  w.field("event_id", e.event_id);
  w.field("platform", e.platform);
  w.floatField("sent_at", e.sent_at);
  w.optField("trace_id", e.trace_id);
  w.str("message");
  writeIncomingMessage(w, e.message);
  return w.take();
}

std::string encodeIncomingMessage(const IncomingMessage& message) {
  MsgpackWriter w(512 + message.content.size() + message.extra.size());
  writeIncomingMessage(w, message);
  return w.take();
}

}  // namespace sg
