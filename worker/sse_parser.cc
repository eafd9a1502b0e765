// Server-sent events parser (see sse_parser.h).
#include "worker/sse_parser.h"

namespace sg {
namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
}  // namespace

void SseParser::reset() {
  line_.clear();
  data_.clear();
  type_.clear();
  id_.clear();
  has_data_ = false;
  skip_lf_ = false;
  started_ = false;
  comments_ = 0;
  events_ = 0;
}

SseParser::Status SseParser::feed(std::string_view bytes, const EventHandler& onEvent) {
  if (!started_) {
    // The mark may itself arrive split; hold back bytes that could still be its beginning.
    line_.append(bytes);
    if (line_.size() < kBom.size() && kBom.substr(0, line_.size()) == line_) return Status::kOk;
    started_ = true;
    std::string first;
    first.swap(line_);
    std::string_view rest = first;
    if (rest.substr(0, kBom.size()) == kBom) rest.remove_prefix(kBom.size());
    return feed(rest, onEvent);
  }
  if (skip_lf_ && !bytes.empty()) {
    skip_lf_ = false;
    if (bytes.front() == '\n') bytes.remove_prefix(1);
  }
  while (!bytes.empty()) {
    size_t end = bytes.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      if (line_.size() + bytes.size() > max_event_bytes_) return Status::kTooLarge;
      line_.append(bytes);
      return Status::kOk;
    }
    bool stop;
    if (line_.empty()) {
      stop = !processLine(bytes.substr(0, end), onEvent);
    } else {
      line_.append(bytes.substr(0, end));
      std::string line;
      line.swap(line_);
      stop = !processLine(line, onEvent);
    }
    if (bytes[end] == '\r') {
      if (end + 1 < bytes.size()) {
        if (bytes[end + 1] == '\n') ++end;
      } else {
        skip_lf_ = true;
      }
    }
    bytes.remove_prefix(end + 1);
    if (stop) return Status::kStopped;
    if (data_.size() > max_event_bytes_) return Status::kTooLarge;
  }
  return Status::kOk;
}

bool SseParser::processLine(std::string_view line, const EventHandler& onEvent) {
  if (line.empty()) return dispatch(onEvent);
  if (line.front() == ':') {
    ++comments_;
    return true;
  }
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  }
  // "retry" and unknown fields are ignored, as the format requires.
  return true;
}

bool SseParser::dispatch(const EventHandler& onEvent) {
  if (!has_data_) {
    type_.clear();
    return true;
  }
  ++events_;
  SseEvent event{type_, data_, id_};
  bool go_on = onEvent(event);
  data_.clear();
  type_.clear();
  has_data_ = false;
  return go_on;
}

}  // namespace sg
