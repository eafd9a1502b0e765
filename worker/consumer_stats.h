// Counters and gauges of one worker's consumer, for the liveness record, the supervisor's
// metrics (sent over the control pipe) and logs. Plain numbers; the consumer updates them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sg {

struct ConsumerStats {
  // Counters (since start).
  uint64_t received = 0;       // entries this worker took from the stream (READ)
  uint64_t processed = 0;      // entries committed (answered, ignored, stale)
  uint64_t answered = 0;       // committed with at least one action
  uint64_t ignored = 0;        // committed without actions (not addressed to the bot)
  uint64_t stale = 0;          // older than consumer.max_age_s when their turn came
  uint64_t failed = 0;         // processing attempts that failed (retried later)
  uint64_t dead_lettered = 0;  // undecodable or past max_deliveries
  uint64_t duplicates = 0;     // events already completed (acknowledged without work)
  uint64_t lock_waits = 0;     // entries queued behind a channel already in progress
  uint64_t locks_lost = 0;     // channel locks lost while held (lease ran out, taken over)
  uint64_t takeovers = 0;      // channels taken over from a dead or stalled holder
  uint64_t redis_errors = 0;   // consumer commands that failed for transport reasons
  // Gauges.
  uint64_t inflight = 0;       // channels held now (each processes one entry at a time)
  int64_t lag = -1;            // entries in the stream not yet read by the group (-1 unknown)
  uint64_t pending = 0;        // entries read by the group and not yet acknowledged
  std::vector<std::pair<std::string, uint64_t>> busiest_queues;  // deepest channel queues
};

}  // namespace sg
