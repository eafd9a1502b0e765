// Prints the bus codec's throughput: decoding the basic_mention vector (the worker's per-entry
// cost), encoding it back (the gateway side), and encoding a typical send_message action.
// Figures only, no assertions: `make bench` or build/tests/codec_bench [iterations].
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/bus_codec.h"
#include "support/json_msgpack.h"

namespace {

template <typename Work>
void measure(const char* name, long iterations, Work work) {
  size_t sink = 0;
  for (long i = 0; i < iterations / 10; ++i) sink += work();  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) sink += work();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double ns = elapsed.count() * 1e9 / static_cast<double>(iterations);
  std::printf("%-34s %12.0f msg/s %9.1f ns/msg  (%ld runs, check %zu)\n", name, 1e9 / ns, ns,
              iterations, sink % 7);
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 1000000;
  const std::string payload = sg::test::readVector("basic_mention.msgpack");
  if (payload.empty()) {
    std::fprintf(stderr, "cannot read the basic_mention vector\n");
    return 1;
  }
  const sg::LimitsConfig limits;
  const sg::DecodeResult decoded = sg::decodeEnvelope(payload, limits);
  if (!decoded.ok()) {
    std::fprintf(stderr, "basic_mention does not decode: %s\n", decoded.reason.c_str());
    return 1;
  }
  const sg::SendMessage action{
      .common = {.action_id = sg::lastingActionId("ev-0001", 0),
                 .event_id = "ev-0001",
                 .worker = "worker-1a2b3c4d",
                 .trace_id = "t-abc",
                 .created_at = 1764300001.5},
      .channel_id = "1100000000000000001",
      .content =
          "A red giant is a luminous giant star of low or intermediate mass in a late "
          "phase of stellar evolution. Its outer atmosphere is inflated and tenuous, "
          "making the radius large and the surface temperature around 5,000 K or lower.",
      .reply_to_message_id = "1184567890123456789",
      .part = 1,
      .parts = 1};

  std::printf("payload: basic_mention.msgpack, %zu bytes; send_message: %zu bytes\n",
              payload.size(), sg::encodeAction(action).size());
  measure("decodeEnvelope(basic_mention)", iterations,
          [&] { return sg::decodeEnvelope(payload, limits).value->message.content.size(); });
  measure("encodeEnvelope(basic_mention)", iterations,
          [&] { return sg::encodeEnvelope(*decoded.value).size(); });
  measure("encodeAction(send_message)", iterations,
          [&] { return sg::encodeAction(action).size(); });
  return 0;
}
