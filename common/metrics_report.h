// A process's metrics as a JSON document of Prometheus-style families: the `metrics` member of a
// worker's `stats` message. The worker's components add families (the consumer's counters, the
// message processor's LLM calls, ...); the supervisor reads them back and exports them per worker
// and in total without knowing their names in advance, so a new counter needs no supervisor
// change. This file only builds and reads the document; exporting is the supervisor's.
//
//   {"messages_total": {"type": "counter", "help": "Entries committed, by outcome.",
//                       "samples": [{"labels": {"outcome": "answered"}, "value": 12}]},
//    "llm_call_seconds": {"type": "histogram", "help": "...",
//                         "samples": [{"labels": {"model": "x"}, "buckets": [[0.5, 3], [1, 7]],
//                                      "count": 9, "sum": 6.2}]}}
//
// Names are Prometheus metric names without the exporter's prefix; `buckets` are cumulative
// [upper bound, count] pairs in increasing order, the +Inf bucket being `count`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"

namespace sg {

enum class MetricType { kCounter, kGauge, kHistogram };
std::string_view metricTypeName(MetricType type);
std::optional<MetricType> metricTypeFromName(std::string_view name);

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct HistogramValue {
  std::vector<std::pair<double, uint64_t>> buckets;  // cumulative, increasing bounds, no +Inf
  uint64_t count = 0;
  double sum = 0;
};

// Accumulates observations into fixed buckets (for components that time things).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);  // sorted upper bounds, +Inf implied
  void observe(double value);
  HistogramValue value() const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last one is +Inf
  double sum_ = 0;
};

// Builds the document. Adding to a family that exists appends a sample; its type and help stay
// those of the first call.
class MetricsReport {
 public:
  MetricsReport();
  void counter(std::string_view name, std::string_view help, double value,
               const MetricLabels& labels = {});
  void gauge(std::string_view name, std::string_view help, double value,
             const MetricLabels& labels = {});
  void histogram(std::string_view name, std::string_view help, const HistogramValue& value,
                 const MetricLabels& labels = {});
  // The document (the report is empty afterwards).
  [[nodiscard]] JsonPtr take();

 private:
  cJSON* samples(std::string_view name, MetricType type, std::string_view help);
  void addValue(std::string_view name, MetricType type, std::string_view help, double value,
                const MetricLabels& labels);
  JsonPtr document_;
};

struct MetricSample {
  MetricLabels labels;
  double value = 0;          // counter, gauge
  HistogramValue histogram;  // histogram
};

struct MetricFamily {
  std::string name;
  MetricType type = MetricType::kGauge;
  std::string help;
  std::vector<MetricSample> samples;
};

// Valid Prometheus names: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]* not
// starting with "__".
bool validMetricName(std::string_view name);
bool validLabelName(std::string_view name);

// Reads a document from an untrusted peer. Families and samples that break the rules (a bad name,
// an unknown type, a non-finite or negative counter, buckets out of order, a reserved label
// such as `le` or `worker`...) are left out and each is described in `problems`.
std::vector<MetricFamily> readMetricsReport(const cJSON* document,
                                            std::vector<std::string>* problems);

}  // namespace sg
