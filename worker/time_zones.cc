// TimeZones: TZif files (RFC 8536) and POSIX TZ rules, read at start-up (see time_zones.h).
#include "worker/time_zones.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace sg {

struct TimeZones::Rule {
  struct When {
    char kind = 'M';  // 'M' month.week.day, 'J' Julian day 1-365 (no Feb 29), 'N' day 0-365
    int month = 0, week = 0, day = 0;
    int32_t time = 7200;  // local time of day, seconds (may be negative or past 24 h)
  };
  Type standard;
  Type daylight;
  bool has_dst = false;
  When start, end;
};

namespace {

constexpr int64_t kDay = 86400;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isLeap(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// ---- TZif -------------------------------------------------------------------------------------

class Bytes {
 public:
  explicit Bytes(std::string_view data) : data_(data) {}
  bool has(size_t pos, size_t n) const { return pos <= data_.size() && data_.size() - pos >= n; }
  uint64_t be(size_t pos, size_t width) const {
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value = value << 8 | static_cast<uint8_t>(data_[pos + i]);
    return value;
  }
  int64_t signedBe(size_t pos, size_t width) const {
    uint64_t value = be(pos, width);
    if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(value));
    return static_cast<int64_t>(value);
  }
  std::string_view view() const { return data_; }

 private:
  std::string_view data_;
};

struct Counts {
  uint64_t isut, isstd, leap, time, type, chars;
  uint64_t blockSize(size_t time_width) const {
    return time * time_width + time + type * 6 + chars + leap * (time_width + 4) + isstd + isut;
  }
};

bool readHeader(const Bytes& bytes, size_t pos, char* version, Counts* counts) {
  if (!bytes.has(pos, 44) || bytes.view().substr(pos, 4) != "TZif") return false;
  *version = bytes.view()[pos + 4];
  size_t c = pos + 20;
  *counts = {bytes.be(c, 4),      bytes.be(c + 4, 4),  bytes.be(c + 8, 4),
             bytes.be(c + 12, 4), bytes.be(c + 16, 4), bytes.be(c + 20, 4)};
  return counts->type >= 1 && counts->type <= 256 && counts->time <= 1'000'000 &&
         counts->chars <= 65536 && counts->leap <= 100'000;
}

// The data block at `pos` (times of `width` bytes) into `zone`; false when it is inconsistent.
bool readBlock(const Bytes& bytes, size_t pos, const Counts& n, size_t width,
               TimeZones::Zone* zone) {
  if (!bytes.has(pos, n.blockSize(width))) return false;
  size_t indices = pos + n.time * width;
  size_t types = indices + n.time;
  size_t chars = types + n.type * 6;
  std::string_view designations = bytes.view().substr(chars, n.chars);
  for (uint64_t i = 0; i < n.time; ++i) {
    int64_t at = bytes.signedBe(pos + i * width, width);
    auto index = static_cast<uint8_t>(bytes.be(indices + i, 1));
    if (index >= n.type || (!zone->times.empty() && at <= zone->times.back())) return false;
    zone->times.push_back(at);
    zone->indices.push_back(index);
  }
  for (uint64_t i = 0; i < n.type; ++i) {
    size_t at = types + i * 6;
    size_t designation = bytes.be(at + 5, 1);
    if (designation >= designations.size()) return false;
    std::string_view abbreviation = designations.substr(designation);
    abbreviation = abbreviation.substr(0, abbreviation.find('\0'));
    zone->types.push_back({static_cast<int32_t>(bytes.signedBe(at, 4)), bytes.be(at + 4, 1) != 0,
                           std::string(abbreviation)});
  }
  return true;
}

// Keeps the transition in force at `from` and those after it.
void dropPast(TimeZones::Zone* zone, int64_t from) {
  auto after = std::upper_bound(zone->times.begin(), zone->times.end(), from);
  if (after == zone->times.begin()) return;
  size_t keep_from = static_cast<size_t>(after - zone->times.begin()) - 1;
  zone->times.erase(zone->times.begin(), zone->times.begin() + static_cast<ptrdiff_t>(keep_from));
  zone->indices.erase(zone->indices.begin(),
                      zone->indices.begin() + static_cast<ptrdiff_t>(keep_from));
}

// ---- POSIX TZ rules ---------------------------------------------------------------------------

class RuleParser {
 public:
  explicit RuleParser(std::string_view text) : s_(text) {}

  bool parse(TimeZones::Rule* rule) {
    if (!name(&rule->standard.abbreviation) || !offset(&rule->standard.offset_s)) return false;
    if (done()) return true;
    rule->has_dst = true;
    rule->daylight.dst = true;
    if (!name(&rule->daylight.abbreviation)) return false;
    rule->daylight.offset_s = rule->standard.offset_s + 3600;
    if (!done() && peek() != ',' && !offset(&rule->daylight.offset_s)) return false;
    if (done()) {  // no dates: the POSIX default (United States rules)
      rule->start = {'M', 3, 2, 0, 7200};
      rule->end = {'M', 11, 1, 0, 7200};
      return true;
    }
    return take(',') && when(&rule->start) && take(',') && when(&rule->end) && done();
  }

 private:
  bool done() const { return i_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool name(std::string* out) {
    size_t begin = i_;
    if (take('<')) {
      size_t close = s_.find('>', i_);
      if (close == std::string_view::npos || close == i_) return false;
      *out = std::string(s_.substr(i_, close - i_));
      i_ = close + 1;
      return true;
    }
    while (std::isalpha(static_cast<unsigned char>(peek()))) ++i_;
    *out = std::string(s_.substr(begin, i_ - begin));
    return i_ - begin >= 3;
  }
  bool number(int max_digits, int* value) {
    int digits = 0;
    *value = 0;
    while (digits < max_digits && std::isdigit(static_cast<unsigned char>(peek()))) {
      *value = *value * 10 + (s_[i_++] - '0');
      ++digits;
    }
    return digits > 0;
  }
  // [+-]hh[:mm[:ss]] as seconds (hours up to 167, as RFC 8536 allows for rule times).
  bool duration(int32_t* seconds) {
    int sign = take('-') ? -1 : 1;
    if (sign == 1) take('+');
    int hours = 0, minutes = 0, secs = 0;
    if (!number(3, &hours) || hours > 167) return false;
    if (take(':') && (!number(2, &minutes) || minutes > 59)) return false;
    if (take(':') && (!number(2, &secs) || secs > 59)) return false;
    *seconds = sign * (hours * 3600 + minutes * 60 + secs);
    return true;
  }
  // POSIX offsets count west of UTC; ours count east.
  bool offset(int32_t* east) {
    int32_t west = 0;
    if (!duration(&west)) return false;
    *east = -west;
    return true;
  }
  bool when(TimeZones::Rule::When* when) {
    if (take('M')) {
      when->kind = 'M';
      if (!number(2, &when->month) || !take('.') || !number(1, &when->week) || !take('.') ||
          !number(1, &when->day) || when->month < 1 || when->month > 12 || when->week < 1 ||
          when->week > 5 || when->day > 6) {
        return false;
      }
    } else {
      when->kind = take('J') ? 'J' : 'N';
      if (!number(3, &when->day) || when->day > 365 || (when->kind == 'J' && when->day < 1)) {
        return false;
      }
    }
    when->time = 7200;
    return !take('/') || duration(&when->time);
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Unix time of `when` in `year`, read as local time at UTC offset 0 (callers subtract the offset).
int64_t localTime(const TimeZones::Rule::When& when, int64_t year) {
  int64_t day = daysFromCivil(year, 1, 1);
  if (when.kind == 'J') {
    day += when.day - 1 + (isLeap(year) && when.day >= 60 ? 1 : 0);
  } else if (when.kind == 'N') {
    day += when.day;
  } else {
    int64_t first = daysFromCivil(year, static_cast<unsigned>(when.month), 1);
    int64_t next = when.month == 12 ? daysFromCivil(year + 1, 1, 1)
                                    : daysFromCivil(year, static_cast<unsigned>(when.month) + 1, 1);
    int64_t weekday = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
    day = first + (when.day - weekday + 7) % 7 + (when.week - 1) * 7;
    while (day >= next) day -= 7;  // week 5: the last such day of the month
  }
  return day * kDay + when.time;
}

// ---- fixed offsets ----------------------------------------------------------------------------

bool allDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// [UTC|GMT]±H[H][[:]MM], at most 14:00, as seconds east and a canonical name ("+05:30").
std::optional<ZoneTime> fixedOffset(std::string_view name) {
  std::string text = lower(name);
  if (text == "utc" || text == "gmt" || text == "z" || text == "etc/utc") return ZoneTime{"UTC"};
  std::string_view rest = text;
  if (rest.substr(0, 3) == "utc" || rest.substr(0, 3) == "gmt") rest.remove_prefix(3);
  if (rest.empty() || (rest[0] != '+' && rest[0] != '-')) return std::nullopt;
  int sign = rest[0] == '-' ? -1 : 1;
  rest.remove_prefix(1);
  // "5", "05", "5:30", "05:30", "530", "0530".
  std::string_view hours_text = rest;
  std::string_view minutes_text;
  if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    hours_text = rest.substr(0, colon);
    minutes_text = rest.substr(colon + 1);
    if (minutes_text.size() != 2) return std::nullopt;
  } else if (rest.size() > 2) {
    hours_text = rest.substr(0, rest.size() - 2);
    minutes_text = rest.substr(rest.size() - 2);
  }
  if (hours_text.size() > 2 || !allDigits(hours_text) ||
      (!minutes_text.empty() && !allDigits(minutes_text))) {
    return std::nullopt;
  }
  int hours = std::stoi(std::string(hours_text));
  int minutes = minutes_text.empty() ? 0 : std::stoi(std::string(minutes_text));
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) return std::nullopt;
  ZoneTime zone;
  zone.offset_s = sign * (hours * 3600 + minutes * 60);
  char canonical[16];
  std::snprintf(canonical, sizeof canonical, "%c%02d:%02d", sign < 0 ? '-' : '+', hours, minutes);
  zone.zone = zone.offset_s == 0 ? "UTC" : canonical;
  return zone;
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes;
}

}  // namespace

// ---- civil time -------------------------------------------------------------------------------

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilTime civilTime(int64_t unix) {
  int64_t days = unix >= 0 ? unix / kDay : (unix - kDay + 1) / kDay;
  int64_t seconds = unix - days * kDay;
  CivilTime civil;
  civil.weekday = static_cast<unsigned>(((days + 4) % 7 + 7) % 7);
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  civil.day = doy - (153 * mp + 2) / 5 + 1;
  civil.month = mp < 10 ? mp + 3 : mp - 9;
  civil.year = static_cast<int64_t>(yoe) + era * 400 + (civil.month <= 2 ? 1 : 0);
  civil.hour = static_cast<unsigned>(seconds / 3600);
  civil.minute = static_cast<unsigned>(seconds / 60 % 60);
  civil.second = static_cast<unsigned>(seconds % 60);
  return civil;
}

// ---- TimeZones --------------------------------------------------------------------------------

ZoneTime TimeZones::ruleAt(const Rule& rule, int64_t unix) {
  const Type* type = &rule.standard;
  if (rule.has_dst) {
    int64_t year = civilTime(unix + rule.standard.offset_s).year;
    int64_t start = localTime(rule.start, year) - rule.standard.offset_s;
    int64_t end = localTime(rule.end, year) - rule.daylight.offset_s;
    bool dst = start < end ? (unix >= start && unix < end) : !(unix >= end && unix < start);
    if (dst) type = &rule.daylight;
  }
  return {"", type->offset_s, type->dst, type->abbreviation};
}

ZoneTime TimeZones::Zone::at(int64_t unix) const {
  auto after = std::upper_bound(times.begin(), times.end(), unix);
  if (after == times.end() && rule != nullptr) return ruleAt(*rule, unix);
  const Type& type = after == times.begin()
                         ? types.front()
                         : types[indices[static_cast<size_t>(after - times.begin()) - 1]];
  return {"", type.offset_s, type.dst, type.abbreviation};
}

std::shared_ptr<const TimeZones::Rule> TimeZones::parseRule(std::string_view text) {
  auto rule = std::make_shared<Rule>();
  if (text.empty() || !RuleParser(text).parse(rule.get())) return nullptr;
  return rule;
}

std::optional<TimeZones::Zone> TimeZones::parseTzif(std::string_view data, int64_t from_unix) {
  Bytes bytes(data);
  char version = 0;
  Counts counts{};
  if (!readHeader(bytes, 0, &version, &counts)) return std::nullopt;
  Zone zone;
  if (version == '\0') {  // version 1: 32-bit times, no footer
    if (!readBlock(bytes, 44, counts, 4, &zone)) return std::nullopt;
  } else {
    size_t second = 44 + counts.blockSize(4);
    if (!readHeader(bytes, second, &version, &counts)) return std::nullopt;
    size_t block = second + 44;
    if (!readBlock(bytes, block, counts, 8, &zone)) return std::nullopt;
    size_t footer = block + counts.blockSize(8);
    if (bytes.has(footer, 2) && data[footer] == '\n') {
      size_t close = data.find('\n', footer + 1);
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view text = data.substr(footer + 1, close - footer - 1);
      zone.rule = parseRule(text);
      if (!text.empty() && zone.rule == nullptr) return std::nullopt;
    }
  }
  dropPast(&zone, from_unix);
  return zone;
}

std::shared_ptr<const TimeZones> TimeZones::none() {
  return std::make_shared<const TimeZones>();
}

std::shared_ptr<const TimeZones> TimeZones::load(const std::string& dir, int64_t now_unix) {
  auto table = std::make_shared<TimeZones>();
  std::vector<std::string> pending = {""};  // directories to read, relative to `dir`
  while (!pending.empty()) {
    std::string relative = std::move(pending.back());
    pending.pop_back();
    DIR* handle = opendir((dir + "/" + relative).c_str());
    if (handle == nullptr) continue;
    while (const dirent* entry = readdir(handle)) {
      std::string name = entry->d_name;
      if (name.empty() || name[0] == '.') continue;
      std::string path = relative.empty() ? name : relative + "/" + name;
      if (path == "posix" || path == "right" || path == "localtime" || path == "posixrules" ||
          path == "Factory") {
        continue;
      }
      struct stat info;
      if (stat((dir + "/" + path).c_str(), &info) != 0) continue;
      if (S_ISDIR(info.st_mode)) {
        pending.push_back(path);
        continue;
      }
      if (!S_ISREG(info.st_mode) || info.st_size > 1 << 20) continue;
      std::optional<std::string> bytes = readFile(dir + "/" + path);
      std::optional<Zone> zone = bytes ? parseTzif(*bytes, now_unix) : std::nullopt;
      if (zone) table->zones_[lower(path)] = {path, std::move(*zone)};
    }
    closedir(handle);
  }
  return table;
}

std::optional<ZoneTime> TimeZones::at(std::string_view name, int64_t unix) const {
  if (std::optional<ZoneTime> fixed = fixedOffset(name)) return fixed;
  auto found = zones_.find(lower(name));
  if (found == zones_.end()) return std::nullopt;
  ZoneTime time = found->second.second.at(unix);
  time.zone = found->second.first;
  return time;
}

}  // namespace sg
