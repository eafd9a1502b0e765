// The Prometheus text format writer (see prometheus_text.h).
#include "supervisor/prometheus_text.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>

namespace sg {
namespace {

// HELP text escapes backslash and newline; label values also the double quote.
void appendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string formatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void PrometheusText::family(std::string_view name, MetricType type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  appendEscaped(text_, help, false);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += metricTypeName(type);
  text_ += '\n';
}

void PrometheusText::sample(std::string_view name, const MetricLabels& labels, double value) {
  line(name, labels, "", "", formatMetricValue(value));
}

void PrometheusText::histogram(std::string_view name, const MetricLabels& labels,
                               const HistogramValue& value) {
  std::string bucket = std::string(name) + "_bucket";
  for (const auto& [bound, count] : value.buckets) {
    line(bucket, labels, "le", formatMetricValue(bound), std::to_string(count));
  }
  line(bucket, labels, "le", "+Inf", std::to_string(value.count));
  line(std::string(name) + "_sum", labels, "", "", formatMetricValue(value.sum));
  line(std::string(name) + "_count", labels, "", "", std::to_string(value.count));
}

void PrometheusText::line(std::string_view name, const MetricLabels& labels,
                          std::string_view extra_label, std::string_view extra_value,
                          std::string_view value) {
  text_ += name;
  if (!labels.empty() || !extra_label.empty()) {
    char separator = '{';
    for (const auto& [label, label_value] : labels) {
      text_ += separator;
      text_ += label;
      text_ += "=\"";
      appendEscaped(text_, label_value, true);
      text_ += '"';
      separator = ',';
    }
    if (!extra_label.empty()) {
      text_ += separator;
      text_ += extra_label;
      text_ += "=\"";
      text_ += extra_value;
      text_ += '"';
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += value;
  text_ += '\n';
}

}  // namespace sg
