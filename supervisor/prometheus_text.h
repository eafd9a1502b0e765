// Writes the Prometheus text exposition format (version 0.0.4) for /metrics: # HELP and # TYPE
// lines, samples with escaped label values, histograms as _bucket/_sum/_count series with an
// +Inf bucket. Families must be written whole, one after another (the format forbids
// interleaving them); the caller groups. Nothing here collects or aggregates values.
#pragma once

#include <string>
#include <string_view>

#include "common/metrics_report.h"

namespace sg {

// A sample value as the format wants it: shortest exact decimal, "+Inf", "-Inf", "NaN".
std::string formatMetricValue(double value);

class PrometheusText {
 public:
  // Starts a family (its HELP and TYPE lines).
  void family(std::string_view name, MetricType type, std::string_view help);
  // One sample of the current family (counters and gauges).
  void sample(std::string_view name, const MetricLabels& labels, double value);
  // One histogram sample: cumulative buckets, the +Inf bucket, _sum and _count.
  void histogram(std::string_view name, const MetricLabels& labels, const HistogramValue& value);

  const std::string& text() const { return text_; }

 private:
  void line(std::string_view name, const MetricLabels& labels, std::string_view extra_label,
            std::string_view extra_value, std::string_view value);

  std::string text_;
};

}  // namespace sg
