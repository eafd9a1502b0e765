// A server-sent events parser (the WHATWG event-stream format) for streamed LLM responses. Bytes
// arrive in whatever pieces libcurl hands over; the parser keeps an unfinished line across calls,
// so an event, a line end or a UTF-8 character may be split at any byte. Lines end with "\n",
// "\r\n" or "\r"; "data:" is read with or without the space after the colon; several data lines
// join with "\n"; comment lines (": OPENROUTER PROCESSING") are counted and skipped; a leading
// byte-order mark is dropped.
//
// It does not interpret the data (no JSON, no "[DONE]": that is the client's job) and never
// dispatches an event that the stream did not end with a blank line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sg {

struct SseEvent {
  std::string_view type;  // "event:" field; "" means the default, "message"
  std::string_view data;  // data lines joined with "\n"
  std::string_view id;    // the last "id:" seen on the stream
};

class SseParser {
 public:
  enum class Status { kOk, kStopped, kTooLarge };
  // Returns false to stop parsing (the rest of the bytes are not looked at).
  using EventHandler = std::function<bool(const SseEvent&)>;

  explicit SseParser(size_t max_event_bytes = 16 * 1024 * 1024)
      : max_event_bytes_(max_event_bytes) {}

  // Parses `bytes`, calling `onEvent` for each event completed by them, in order. kTooLarge
  // when one line or event grows past the limit (the stream should be abandoned).
  [[nodiscard]] Status feed(std::string_view bytes, const EventHandler& onEvent);

  // True when bytes of an event that has not been dispatched are pending (a stream ending here
  // was cut in the middle of an event).
  bool partial() const { return !line_.empty() || has_data_; }
  uint64_t comments() const { return comments_; }
  uint64_t events() const { return events_; }
  void reset();

 private:
  // Handles one complete line (without its end); false when the handler asked to stop.
  bool processLine(std::string_view line, const EventHandler& onEvent);
  bool dispatch(const EventHandler& onEvent);

  size_t max_event_bytes_;
  std::string line_;  // an unfinished line carried over from the previous feed
  std::string data_;
  std::string type_;
  std::string id_;
  bool has_data_ = false;
  bool skip_lf_ = false;  // the previous feed ended with "\r": a "\n" starting this one is its pair
  bool started_ = false;  // past the optional byte-order mark
  uint64_t comments_ = 0;
  uint64_t events_ = 0;
};

}  // namespace sg
