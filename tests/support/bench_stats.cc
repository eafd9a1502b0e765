// Benchmark helpers (see bench_stats.h).
#include "support/bench_stats.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/bus_codec.h"
#include "support/bus_fixture.h"

namespace sg::test {

double cpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

long rssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

pid_t redisServerPid(SyncRedis& redis) {
  std::string info = redis.string({"INFO", "server"});
  size_t at = info.find("process_id:");
  return at == std::string::npos ? 0 : std::stoi(info.substr(at + 11));
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = std::min(sorted.size() - 1, size_t(p * double(sorted.size() - 1) + 0.5));
  return sorted[index];
}

uint64_t streamIdMs(const std::string& id) {
  return std::stoull(id.substr(0, id.find('-')));
}

std::map<std::string, uint64_t> inboundTimes(SyncRedis& redis) {
  std::map<std::string, uint64_t> times;
  Reply inbound = redis.command({"XRANGE", "sg:stream:inbound", "-", "+"});
  LimitsConfig limits;
  for (size_t i = 0; inbound && i < inbound->elements; ++i) {
    const redisReply* entry = inbound->element[i];
    const redisReply* fields = entry->element[1];
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      if (std::string_view(fields->element[f]->str, fields->element[f]->len) != "payload") continue;
      DecodeResult decoded = decodeEnvelope(
          std::string_view(fields->element[f + 1]->str, fields->element[f + 1]->len), limits);
      if (decoded.ok()) {
        times[decoded.value->event_id] =
            streamIdMs(std::string(entry->element[0]->str, entry->element[0]->len));
      }
    }
  }
  return times;
}

std::vector<double> inboundToOutboundMs(SyncRedis& redis,
                                        const std::map<std::string, uint64_t>& inbound,
                                        const std::string& action) {
  std::vector<double> values;
  for (const auto& out : readOutbound(redis)) {
    if (!action.empty() && out.action != action) continue;
    auto found = inbound.find(out.event_id);
    if (found != inbound.end()) {
      values.push_back(double(streamIdMs(out.stream_id)) - double(found->second));
    }
  }
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace sg::test
