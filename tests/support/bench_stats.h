// Benchmark helpers: process CPU time and memory from /proc, percentiles, and the Redis-clock
// times of inbound entries and outbound actions, so that each benchmark prints comparable
// figures. Reading, not measuring: the benchmarks decide what to time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/redis_server.h"

namespace sg::test {

// User + system CPU seconds of a process so far.
double cpuSeconds(pid_t pid);
// Resident memory of a process, KiB.
long rssKiB(pid_t pid);
// The pid of the redis-server `redis` talks to (INFO server), 0 if unknown.
pid_t redisServerPid(SyncRedis& redis);
// The p-quantile (0..1) of ascending values (0 when empty).
double percentile(const std::vector<double>& sorted, double p);
// Milliseconds part of a stream entry id ("1700000000000-3" -> 1700000000000).
uint64_t streamIdMs(const std::string& id);
// The entry time (ms, Redis clock) of each inbound envelope, by event id.
std::map<std::string, uint64_t> inboundTimes(SyncRedis& redis);
// Inbound -> outbound latencies (ms, ascending) of the outbound actions of kind `action`
// ("" = every action), matched by event id with `inbound` (entry times by event id: from
// inboundTimes(), or recorded when the entries were added, since trimming removes acknowledged
// entries from the stream).
std::vector<double> inboundToOutboundMs(SyncRedis& redis,
                                        const std::map<std::string, uint64_t>& inbound,
                                        const std::string& action = "");

}  // namespace sg::test
