// Test helper: a strict reader of the Prometheus text exposition format (version 0.0.4), so that
// tests prove /metrics parses: names and label names, escapes, values (NaN, +Inf, -Inf), HELP and
// TYPE at most once and before the family's samples, each family's lines together, no duplicate
// series, counters not negative, histograms with _bucket (increasing `le`, cumulative counts, an
// +Inf bucket equal to _count), _sum and _count. Independent of the product's writer on purpose.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sg::test {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromText {
  std::vector<PromSample> samples;
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram, ...
  std::vector<std::string> errors;           // empty: the text parses

  // The value of the one sample with this name and (a superset of) these labels; NaN when there
  // is none or more than one.
  double value(const std::string& name,
               const std::map<std::string, std::string>& labels = {}) const;
  // Every sample with this name.
  std::vector<const PromSample*> all(const std::string& name) const;
};

PromText parsePrometheusText(std::string_view text);

}  // namespace sg::test
