// Metrics as JSON families: building and reading back (see metrics_report.h).
#include "common/metrics_report.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>

namespace sg {
namespace {

// Labels the exporter adds itself or that mean something in the exposition format.
constexpr std::string_view kReservedLabels[] = {"le", "quantile", "worker"};

bool isNameChar(char c, bool first, bool colon) {
  bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (letter || (colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

JsonPtr labelsJson(const MetricLabels& labels) {
  JsonPtr object(cJSON_CreateObject());
  for (const auto& [name, value] : labels) {
    cJSON_AddStringToObject(object.get(), name.c_str(), value.c_str());
  }
  return object;
}

bool readLabels(const cJSON* object, MetricLabels* labels, std::string* problem) {
  if (object == nullptr) return true;
  if (!cJSON_IsObject(object)) {
    *problem = "labels must be an object";
    return false;
  }
  for (const cJSON* item = object->child; item != nullptr; item = item->next) {
    std::string_view name = item->string;
    bool reserved = std::find(std::begin(kReservedLabels), std::end(kReservedLabels), name) !=
                    std::end(kReservedLabels);
    if (!validLabelName(name) || reserved || !cJSON_IsString(item)) {
      *problem = fmt::format("bad or reserved label \"{}\"", name);
      return false;
    }
    labels->emplace_back(std::string(name), item->valuestring);
  }
  std::sort(labels->begin(), labels->end());
  for (size_t i = 1; i < labels->size(); ++i) {
    if ((*labels)[i].first == (*labels)[i - 1].first) {
      *problem = "duplicate label " + (*labels)[i].first;
      return false;
    }
  }
  return true;
}

bool readCount(const cJSON* value, uint64_t* out) {
  long long number = 0;
  if (!jsonInteger(value, &number) || number < 0) return false;
  *out = static_cast<uint64_t>(number);
  return true;
}

bool readHistogram(const cJSON* sample, HistogramValue* histogram, std::string* problem) {
  const cJSON* buckets = jsonField(sample, "buckets");
  double sum = 0;
  if (!cJSON_IsArray(buckets) || !readCount(jsonField(sample, "count"), &histogram->count) ||
      !jsonNumber(sample, "sum", &sum) || !std::isfinite(sum)) {
    *problem = "a histogram needs buckets, count and a finite sum";
    return false;
  }
  histogram->sum = sum;
  for (const cJSON* pair = buckets->child; pair != nullptr; pair = pair->next) {
    uint64_t count = 0;
    const cJSON* bound = cJSON_GetArrayItem(pair, 0);
    if (cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(bound) ||
        !std::isfinite(bound->valuedouble) || !readCount(cJSON_GetArrayItem(pair, 1), &count)) {
      *problem = "a bucket must be [finite bound, count]";
      return false;
    }
    bool ordered =
        histogram->buckets.empty() || (bound->valuedouble > histogram->buckets.back().first &&
                                       count >= histogram->buckets.back().second);
    if (!ordered || count > histogram->count) {
      *problem = "buckets must have increasing bounds and cumulative counts";
      return false;
    }
    histogram->buckets.emplace_back(bound->valuedouble, count);
  }
  return true;
}

bool readSample(const cJSON* item, MetricType type, MetricSample* sample, std::string* problem) {
  if (!readLabels(jsonField(item, "labels"), &sample->labels, problem)) return false;
  if (type == MetricType::kHistogram) return readHistogram(item, &sample->histogram, problem);
  if (!jsonNumber(item, "value", &sample->value) || std::isnan(sample->value)) {
    *problem = "a sample needs a numeric value";
    return false;
  }
  if (type == MetricType::kCounter && (sample->value < 0 || std::isinf(sample->value))) {
    *problem = "a counter must be finite and not negative";
    return false;
  }
  return true;
}

std::optional<MetricFamily> readFamily(const cJSON* item, std::vector<std::string>* problems) {
  MetricFamily family;
  family.name = item->string;
  auto type = metricTypeFromName(jsonString(item, "type"));
  const cJSON* samples = jsonField(item, "samples");
  if (!validMetricName(family.name) || !type || !cJSON_IsArray(samples)) {
    problems->push_back(fmt::format("family \"{}\": bad name, type or samples", family.name));
    return std::nullopt;
  }
  family.type = *type;
  family.help = jsonString(item, "help");
  for (const cJSON* entry = samples->child; entry != nullptr; entry = entry->next) {
    MetricSample sample;
    std::string problem;
    if (readSample(entry, family.type, &sample, &problem)) {
      family.samples.push_back(std::move(sample));
    } else {
      problems->push_back(fmt::format("family \"{}\": {}", family.name, problem));
    }
  }
  return family;
}

}  // namespace

std::string_view metricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::optional<MetricType> metricTypeFromName(std::string_view name) {
  for (MetricType type : {MetricType::kCounter, MetricType::kGauge, MetricType::kHistogram}) {
    if (metricTypeName(type) == name) return type;
  }
  return std::nullopt;
}

bool validMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!isNameChar(name[i], i == 0, true)) return false;
  }
  return true;
}

bool validLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!isNameChar(name[i], i == 0, false)) return false;
  }
  return true;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t index = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++counts_[index];
  sum_ += value;
}

HistogramValue Histogram::value() const {
  HistogramValue value;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    value.buckets.emplace_back(bounds_[i], cumulative);
  }
  value.count = cumulative + counts_.back();
  value.sum = sum_;
  return value;
}

MetricsReport::MetricsReport() : document_(cJSON_CreateObject()) {}

cJSON* MetricsReport::samples(std::string_view name, MetricType type, std::string_view help) {
  std::string key(name);
  cJSON* family = cJSON_GetObjectItemCaseSensitive(document_.get(), key.c_str());
  if (family == nullptr) {
    family = cJSON_AddObjectToObject(document_.get(), key.c_str());
    cJSON_AddStringToObject(family, "type", std::string(metricTypeName(type)).c_str());
    cJSON_AddStringToObject(family, "help", std::string(help).c_str());
    cJSON_AddArrayToObject(family, "samples");
  }
  return cJSON_GetObjectItemCaseSensitive(family, "samples");
}

void MetricsReport::counter(std::string_view name, std::string_view help, double value,
                            const MetricLabels& labels) {
  addValue(name, MetricType::kCounter, help, value, labels);
}

void MetricsReport::gauge(std::string_view name, std::string_view help, double value,
                          const MetricLabels& labels) {
  addValue(name, MetricType::kGauge, help, value, labels);
}

void MetricsReport::addValue(std::string_view name, MetricType type, std::string_view help,
                             double value, const MetricLabels& labels) {
  cJSON* sample = cJSON_CreateObject();
  cJSON_AddItemToObject(sample, "labels", labelsJson(labels).release());
  cJSON_AddNumberToObject(sample, "value", value);
  cJSON_AddItemToArray(samples(name, type, help), sample);
}

void MetricsReport::histogram(std::string_view name, std::string_view help,
                              const HistogramValue& value, const MetricLabels& labels) {
  cJSON* sample = cJSON_CreateObject();
  cJSON_AddItemToObject(sample, "labels", labelsJson(labels).release());
  cJSON* buckets = cJSON_AddArrayToObject(sample, "buckets");
  for (const auto& [bound, count] : value.buckets) {
    cJSON* pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateNumber(bound));
    cJSON_AddItemToArray(pair, cJSON_CreateNumber(static_cast<double>(count)));
    cJSON_AddItemToArray(buckets, pair);
  }
  cJSON_AddNumberToObject(sample, "count", static_cast<double>(value.count));
  cJSON_AddNumberToObject(sample, "sum", value.sum);
  cJSON_AddItemToArray(samples(name, MetricType::kHistogram, help), sample);
}

JsonPtr MetricsReport::take() {
  return std::exchange(document_, JsonPtr(cJSON_CreateObject()));
}

std::vector<MetricFamily> readMetricsReport(const cJSON* document,
                                            std::vector<std::string>* problems) {
  std::vector<MetricFamily> families;
  if (!cJSON_IsObject(document)) {
    if (document != nullptr) problems->push_back("metrics must be an object");
    return families;
  }
  for (const cJSON* item = document->child; item != nullptr; item = item->next) {
    if (auto family = readFamily(item, problems)) families.push_back(std::move(*family));
  }
  return families;
}

}  // namespace sg
