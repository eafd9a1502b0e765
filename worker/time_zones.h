// TimeZones: what the clock reads in a named time zone, for the current_time tool. IANA zones
// come from the system's TZif files (RFC 8536), read once by load() at start-up, so that no
// zoneinfo file is ever read on the worker's loop; fixed offsets ("+05:30", "UTC-3") and UTC need
// no file. Only the transitions from the load time on are kept, plus the footer's POSIX TZ rule
// for the years after the last one (slim files rely on it), so a zone costs a few hundred bytes.
//
// Not here: formatting for the model (builtin_tools.cc), leap seconds (the "right/" tree is
// skipped: Unix time has none), historical times before load().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg {

struct ZoneTime {
  std::string zone;      // canonical name: "Europe/Paris", "UTC", "+05:30"
  int32_t offset_s = 0;  // seconds east of UTC
  bool dst = false;
  std::string abbreviation;  // "CEST"; "" for a fixed offset
};

// A Unix time as a proleptic Gregorian date and time of day (UTC unless offset first).
struct CivilTime {
  int64_t year = 1970;
  unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
  unsigned weekday = 4;  // 0 Sunday ... 6 Saturday
};
CivilTime civilTime(int64_t unix);
// Days from 1970-01-01 to year-month-day (negative before it).
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);

class TimeZones {
 public:
  // Reads every TZif file under `dir` (recursively, skipping the posix/ and right/ copies);
  // files that are not TZif or do not parse are skipped. Disk I/O: call it at start-up, never
  // from the loop. An unreadable `dir` gives a table with no IANA zone.
  static std::shared_ptr<const TimeZones> load(const std::string& dir, int64_t now_unix);
  // A table with no IANA zone (UTC and fixed offsets only).
  static std::shared_ptr<const TimeZones> none();

  // `name` at Unix time `unix`: an IANA name as loaded (case-insensitive), "UTC", "GMT", "Z",
  // or a fixed offset: [UTC|GMT]±H[H][[:]MM] with at most 14 hours. nullopt when unknown.
  std::optional<ZoneTime> at(std::string_view name, int64_t unix) const;
  size_t size() const { return zones_.size(); }

  // Parses one TZif file's bytes; exposed for tests. Transitions before `from_unix` are
  // dropped except the one in force then.
  struct Zone;
  [[nodiscard]] static std::optional<Zone> parseTzif(std::string_view bytes, int64_t from_unix);

  struct Type {
    int32_t offset_s = 0;
    bool dst = false;
    std::string abbreviation;
  };
  struct Rule;  // a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3"
  struct Zone {
    std::vector<int64_t> times;    // transition times, increasing
    std::vector<uint8_t> indices;  // the type in force from each transition
    std::vector<Type> types;
    std::shared_ptr<const Rule> rule;  // after the last transition; may be null
    ZoneTime at(int64_t unix) const;
  };
  // Parses a POSIX TZ string (the TZif footer); null when it does not parse.
  [[nodiscard]] static std::shared_ptr<const Rule> parseRule(std::string_view text);
  [[nodiscard]] static ZoneTime ruleAt(const Rule& rule, int64_t unix);

 private:
  std::map<std::string, std::pair<std::string, Zone>> zones_;  // lower-case name -> (name, zone)
};

}  // namespace sg
