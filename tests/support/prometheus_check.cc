// Strict Prometheus text format reader for tests (see prometheus_check.h).
#include "support/prometheus_check.h"

#include <cmath>
#include <cstdlib>
#include <set>

namespace sg::test {
namespace {

bool isNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
bool isNameChar(char c, bool colon) {
  return isNameStart(c, colon) || (c >= '0' && c <= '9');
}

// Reads a metric (colon allowed) or label name at `pos`.
bool readName(std::string_view line, size_t& pos, bool colon, std::string* name) {
  size_t start = pos;
  if (pos >= line.size() || !isNameStart(line[pos], colon)) return false;
  while (pos < line.size() && isNameChar(line[pos], colon)) ++pos;
  *name = std::string(line.substr(start, pos - start));
  return true;
}

bool parseValue(std::string_view text, double* value) {
  if (text == "NaN") {
    *value = NAN;
  } else if (text == "+Inf" || text == "Inf") {
    *value = INFINITY;
  } else if (text == "-Inf") {
    *value = -INFINITY;
  } else {
    if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string_view::npos) {
      return false;
    }
    std::string copy(text);
    char* end = nullptr;
    *value = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size()) return false;
  }
  return true;
}

// label="value" pairs up to '}'; escapes \\ \" \n only.
bool readLabels(std::string_view line, size_t& pos, std::map<std::string, std::string>* labels,
                std::string* error) {
  ++pos;  // '{'
  while (pos < line.size() && line[pos] != '}') {
    std::string name;
    if (!readName(line, pos, false, &name) || name.starts_with("__")) {
      *error = "bad label name";
      return false;
    }
    if (line.substr(pos, 2) != "=\"") {
      *error = "expected =\" after label " + name;
      return false;
    }
    pos += 2;
    std::string value;
    while (pos < line.size() && line[pos] != '"') {
      if (line[pos] == '\\') {
        char next = pos + 1 < line.size() ? line[pos + 1] : '\0';
        if (next != '\\' && next != '"' && next != 'n') {
          *error = "bad escape in label " + name;
          return false;
        }
        value += next == 'n' ? '\n' : next;
        pos += 2;
      } else {
        value += line[pos++];
      }
    }
    if (pos >= line.size()) {
      *error = "unterminated label value";
      return false;
    }
    ++pos;  // closing quote
    if (!labels->emplace(name, value).second) {
      *error = "duplicate label " + name;
      return false;
    }
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
  if (pos >= line.size()) {
    *error = "unterminated label set";
    return false;
  }
  ++pos;  // '}'
  return true;
}

std::string seriesKey(const PromSample& sample) {
  std::string key = sample.name;
  for (const auto& [name, value] : sample.labels) key += "|" + name + "=" + value;
  return key;
}

// The family a sample belongs to, given the declared types.
std::string familyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string_view view(name);
    if (!view.ends_with(suffix)) continue;
    std::string base(view.substr(0, view.size() - std::string_view(suffix).size()));
    auto found = types.find(base);
    if (found != types.end() && found->second == "histogram") return base;
  }
  return name;
}

class Reader {
 public:
  explicit Reader(PromText* out) : out_(out) {}

  void line(std::string_view text, size_t number) {
    number_ = number;
    if (text.empty()) return;
    if (text.starts_with("# HELP ") || text.starts_with("# TYPE ")) return meta(text);
    if (text.starts_with("#")) return;
    sample(text);
  }

  void finish() {
    for (const auto& [family, type] : out_->types) {
      if (type == "histogram") checkHistogram(family);
    }
  }

 private:
  void fail(const std::string& what) {
    out_->errors.push_back("line " + std::to_string(number_) + ": " + what);
  }

  void meta(std::string_view text) {
    bool help = text.starts_with("# HELP ");
    size_t pos = 7;
    std::string name;
    if (!readName(text, pos, true, &name) || (pos < text.size() && text[pos] != ' ')) {
      return fail("bad metric name in a comment");
    }
    std::string_view rest = pos < text.size() ? text.substr(pos + 1) : std::string_view();
    if (!help) return type(name, rest);
    if (!helps_.insert(name).second) fail("second HELP for " + name);
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '\\' &&
          (i + 1 >= rest.size() || (rest[i + 1] != '\\' && rest[i + 1] != 'n'))) {
        return fail("bad escape in HELP of " + name);
      }
      if (rest[i] == '\\') ++i;
    }
  }

  void type(const std::string& name, std::string_view kind) {
    static const std::set<std::string_view> kKinds = {"counter", "gauge", "histogram", "summary",
                                                      "untyped"};
    if (!kKinds.count(kind)) return fail("unknown type " + std::string(kind));
    if (out_->types.count(name)) return fail("second TYPE for " + name);
    if (seen_families_.count(name)) return fail("TYPE of " + name + " after its samples");
    out_->types[name] = std::string(kind);
  }

  void sample(std::string_view text) {
    PromSample sample;
    size_t pos = 0;
    std::string error;
    if (!readName(text, pos, true, &sample.name)) return fail("bad metric name");
    if (pos < text.size() && text[pos] == '{' && !readLabels(text, pos, &sample.labels, &error)) {
      return fail(error);
    }
    if (pos >= text.size() || text[pos] != ' ') return fail("expected a space before the value");
    std::string_view rest = text.substr(pos + 1);
    std::string_view value = rest.substr(0, rest.find(' '));
    if (!parseValue(value, &sample.value)) return fail("bad value " + std::string(value));
    if (value.size() < rest.size()) {  // an optional integer timestamp
      std::string_view stamp = rest.substr(value.size() + 1);
      if (stamp.empty() || stamp.find_first_not_of("-0123456789") != std::string_view::npos) {
        return fail("bad timestamp");
      }
    }
    check(sample);
    out_->samples.push_back(std::move(sample));
  }

  void check(const PromSample& sample) {
    std::string family = familyOf(sample.name, out_->types);
    if (family != current_family_) {
      if (seen_families_.count(family)) fail("lines of " + family + " are not together");
      seen_families_.insert(family);
      current_family_ = family;
    }
    if (!series_.insert(seriesKey(sample)).second) fail("duplicate series " + seriesKey(sample));
    auto type = out_->types.find(family);
    if (type != out_->types.end() && type->second == "counter" && !(sample.value >= 0)) {
      fail("negative or NaN counter " + sample.name);
    }
    if (type != out_->types.end() && type->second == "histogram" && sample.name == family) {
      fail("histogram " + family + " has a sample without a suffix");
    }
    if (sample.name.ends_with("_bucket") && family != sample.name && !sample.labels.count("le")) {
      fail("bucket without le in " + family);
    }
  }

  void checkHistogram(const std::string& family) {
    // Group the buckets, sums and counts by their labels without `le`.
    std::map<std::string, std::vector<std::pair<double, double>>> buckets;
    std::map<std::string, double> counts;
    std::set<std::string> sums;
    for (const PromSample& sample : out_->samples) {
      PromSample base = sample;
      base.labels.erase("le");
      base.name = family;
      std::string key = seriesKey(base);
      if (sample.name == family + "_bucket") {
        double le = 0;
        auto found = sample.labels.find("le");
        if (found == sample.labels.end() || !parseValue(found->second, &le)) {
          fail("bad le in " + family);
          continue;
        }
        buckets[key].emplace_back(le, sample.value);
      } else if (sample.name == family + "_count") {
        counts[key] = sample.value;
      } else if (sample.name == family + "_sum") {
        sums.insert(key);
      }
    }
    for (const auto& [key, list] : buckets) {
      for (size_t i = 1; i < list.size(); ++i) {
        if (!(list[i].first > list[i - 1].first) || list[i].second < list[i - 1].second) {
          fail("buckets of " + key + " not increasing");
        }
      }
      if (list.empty() || !std::isinf(list.back().first)) fail("no +Inf bucket in " + key);
      if (!counts.count(key) || !sums.count(key)) fail("no _count or _sum for " + key);
      if (counts.count(key) && !list.empty() && list.back().second != counts[key]) {
        fail("+Inf bucket differs from _count in " + key);
      }
    }
  }

  PromText* out_;
  size_t number_ = 0;
  std::string current_family_;
  std::set<std::string> seen_families_;
  std::set<std::string> helps_;
  std::set<std::string> series_;
};

}  // namespace

double PromText::value(const std::string& name,
                       const std::map<std::string, std::string>& labels) const {
  const PromSample* found = nullptr;
  for (const PromSample& sample : samples) {
    if (sample.name != name) continue;
    bool match = true;
    for (const auto& [label, value] : labels) {
      auto it = sample.labels.find(label);
      match = match && it != sample.labels.end() && it->second == value;
    }
    if (!match) continue;
    if (found != nullptr) return NAN;
    found = &sample;
  }
  return found != nullptr ? found->value : NAN;
}

std::vector<const PromSample*> PromText::all(const std::string& name) const {
  std::vector<const PromSample*> found;
  for (const PromSample& sample : samples) {
    if (sample.name == name) found.push_back(&sample);
  }
  return found;
}

PromText parsePrometheusText(std::string_view text) {
  PromText out;
  Reader reader(&out);
  if (!text.empty() && text.back() != '\n') out.errors.push_back("the text does not end a line");
  size_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    reader.line(text.substr(start, end - start), ++number);
    start = end + 1;
  }
  reader.finish();
  return out;
}

}  // namespace sg::test
