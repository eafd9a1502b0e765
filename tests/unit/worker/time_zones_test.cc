// TimeZones: civil dates, fixed offsets, POSIX TZ rules (northern, southern, no DST, quoted
// names, week 5) and the system's TZif files, with each file's footer rule checked against its
// own transition table for the years both cover.
#include "worker/time_zones.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

namespace sg {
namespace {

constexpr const char* kZoneinfo = "/usr/share/zoneinfo";

int64_t utc(int64_t year, unsigned month, unsigned day, unsigned hour = 0, unsigned minute = 0) {
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60;
}

TEST(CivilTime, RoundTripsAndNamesTheWeekday) {
  CivilTime t = civilTime(1700000000);
  EXPECT_EQ(t.year, 2023);
  EXPECT_EQ(t.month, 11u);
  EXPECT_EQ(t.day, 14u);
  EXPECT_EQ(t.hour, 22u);
  EXPECT_EQ(t.minute, 13u);
  EXPECT_EQ(t.second, 20u);
  EXPECT_EQ(t.weekday, 2u);  // Tuesday
  EXPECT_EQ(civilTime(0).weekday, 4u);
  CivilTime before = civilTime(-1);
  EXPECT_EQ(before.year, 1969);
  EXPECT_EQ(before.second, 59u);
  EXPECT_EQ(before.weekday, 3u);
  for (int64_t day = -800000; day < 800000; day += 997) {
    CivilTime c = civilTime(day * 86400);
    EXPECT_EQ(daysFromCivil(c.year, c.month, c.day), day);
  }
  EXPECT_EQ(utc(2024, 2, 29) + 86400, utc(2024, 3, 1));
}

TEST(TimeZones, FixedOffsetsAndUtc) {
  auto zones = TimeZones::none();
  struct Case {
    const char* name;
    int32_t offset;
    const char* canonical;
  };
  for (const Case& c : std::initializer_list<Case>{{"UTC", 0, "UTC"},
                                                   {"z", 0, "UTC"},
                                                   {"GMT", 0, "UTC"},
                                                   {"+05:30", 19800, "+05:30"},
                                                   {"+0530", 19800, "+05:30"},
                                                   {"-8", -28800, "-08:00"},
                                                   {"UTC+2", 7200, "+02:00"},
                                                   {"gmt-03:00", -10800, "-03:00"},
                                                   {"+14", 50400, "+14:00"},
                                                   {"-00:00", 0, "UTC"}}) {
    auto zone = zones->at(c.name, 0);
    ASSERT_TRUE(zone) << c.name;
    EXPECT_EQ(zone->offset_s, c.offset) << c.name;
    EXPECT_EQ(zone->zone, c.canonical) << c.name;
  }
  for (const char* bad :
       {"+15", "+5:3", "+05:60", "5", "+", "UTC+", "+123456", "+ab", "Europe/Paris", ""}) {
    EXPECT_FALSE(zones->at(bad, 0)) << bad;
  }
}

TEST(TimeZones, PosixRulesNorthSouthAndNone) {
  auto cet = TimeZones::parseRule("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_NE(cet, nullptr);
  // 2024: summer time from 31 March 01:00 UTC to 27 October 01:00 UTC.
  EXPECT_EQ(TimeZones::ruleAt(*cet, utc(2024, 3, 31, 0, 59)).offset_s, 3600);
  EXPECT_EQ(TimeZones::ruleAt(*cet, utc(2024, 3, 31, 1, 0)).offset_s, 7200);
  EXPECT_EQ(TimeZones::ruleAt(*cet, utc(2024, 3, 31, 1, 0)).abbreviation, "CEST");
  EXPECT_TRUE(TimeZones::ruleAt(*cet, utc(2024, 10, 27, 0, 59)).dst);
  EXPECT_FALSE(TimeZones::ruleAt(*cet, utc(2024, 10, 27, 1, 0)).dst);

  // Southern hemisphere: daylight time across the new year.
  auto sydney = TimeZones::parseRule("AEST-10AEDT,M10.1.0,M4.1.0/3");
  ASSERT_NE(sydney, nullptr);
  EXPECT_EQ(TimeZones::ruleAt(*sydney, utc(2024, 1, 15)).offset_s, 11 * 3600);
  EXPECT_EQ(TimeZones::ruleAt(*sydney, utc(2024, 7, 15)).offset_s, 10 * 3600);
  EXPECT_EQ(TimeZones::ruleAt(*sydney, utc(2024, 12, 15)).abbreviation, "AEDT");

  auto tehran = TimeZones::parseRule("<+0330>-3:30");
  ASSERT_NE(tehran, nullptr);
  EXPECT_EQ(TimeZones::ruleAt(*tehran, utc(2024, 6, 1)).offset_s, 12600);
  EXPECT_EQ(TimeZones::ruleAt(*tehran, utc(2024, 6, 1)).abbreviation, "+0330");

  auto us = TimeZones::parseRule("EST5EDT");  // POSIX default dates
  ASSERT_NE(us, nullptr);
  EXPECT_EQ(TimeZones::ruleAt(*us, utc(2024, 7, 1)).offset_s, -4 * 3600);

  for (const char* bad : {"", "E5", "CET-1CEST,M3.5.0", "CET-1CEST,M13.1.0,M10.5.0",
                          "CET-1CEST,M3.6.0,M10.5.0", "<>5", "CET-1CEST,M3.5.0,M10.5.0/x"}) {
    EXPECT_EQ(TimeZones::parseRule(bad), nullptr) << bad;
  }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(TimeZones, SystemFilesAgreeWithTheirOwnRules) {
  struct stat info;
  if (stat(kZoneinfo, &info) != 0) GTEST_SKIP() << "no zoneinfo";
  int64_t from = utc(2024, 1, 1);
  auto zones = TimeZones::load(kZoneinfo, from);
  EXPECT_GT(zones->size(), 300u);
  for (const char* name : {"Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                           "America/Sao_Paulo", "Pacific/Auckland"}) {
    auto zone = TimeZones::parseTzif(readFile(std::string(kZoneinfo) + "/" + name), from);
    ASSERT_TRUE(zone) << name;
    if (zone->rule == nullptr) continue;
    // Every 6 hours over 2024-2030: the transition table and the footer rule agree.
    for (int64_t t = from; t < utc(2031, 1, 1); t += 6 * 3600) {
      ZoneTime table = zone->at(t);
      ZoneTime rule = TimeZones::ruleAt(*zone->rule, t);
      ASSERT_EQ(table.offset_s, rule.offset_s) << name << " at " << t;
      ASSERT_EQ(table.abbreviation, rule.abbreviation) << name << " at " << t;
    }
  }
  auto kolkata = zones->at("ASIA/KOLKATA", utc(2024, 6, 1));
  ASSERT_TRUE(kolkata);
  EXPECT_EQ(kolkata->zone, "Asia/Kolkata");
  EXPECT_EQ(kolkata->offset_s, 19800);
  EXPECT_FALSE(zones->at("posix/Europe/Paris", from));  // the duplicate trees are skipped
  EXPECT_FALSE(zones->at("localtime", from));
}

TEST(TimeZones, RejectsWhatIsNotTzif) {
  EXPECT_FALSE(TimeZones::parseTzif("", 0));
  EXPECT_FALSE(TimeZones::parseTzif("TZif2", 0));
  EXPECT_FALSE(TimeZones::parseTzif(std::string(100, 'x'), 0));
  std::string paris = readFile(std::string(kZoneinfo) + "/Europe/Paris");
  if (paris.empty()) GTEST_SKIP() << "no zoneinfo";
  for (size_t cut : {10ul, 44ul, paris.size() / 2, paris.size() - 3}) {
    EXPECT_FALSE(TimeZones::parseTzif(paris.substr(0, cut), 0)) << cut;
  }
  EXPECT_TRUE(TimeZones::parseTzif(paris, 0));
}

}  // namespace
}  // namespace sg
