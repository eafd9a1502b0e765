// The metrics path from a worker's report to /metrics: MetricsReport builds what the worker sends,
// readMetricsReport keeps only what can be exported, WorkerMetrics writes per-worker and total
// families (totals monotonic across a worker's exit), PrometheusText escapes and formats, and
// the whole output passes the strict checker of tests/support.
#include <gtest/gtest.h>

#include <cmath>

#include "common/metrics_report.h"
#include "supervisor/prometheus_text.h"
#include "supervisor/worker_metrics.h"
#include "support/prometheus_check.h"

namespace sg {
namespace {

JsonPtr report(double answered, double inflight, const std::vector<double>& latencies) {
  MetricsReport report;
  report.counter("messages_total", "Entries settled.", answered, {{"outcome", "answered"}});
  report.counter("messages_total", "Entries settled.", 1, {{"outcome", "ignored"}});
  report.gauge("inflight", "Channels held.", inflight);
  Histogram histogram({0.1, 1, 10});
  for (double latency : latencies) histogram.observe(latency);
  report.histogram("llm_call_seconds", "LLM call latency.", histogram.value(),
                   {{"model", "m\"x\\y\nz"}});
  return report.take();
}

std::string exported(const WorkerMetrics& metrics) {
  PrometheusText out;
  metrics.write(out);
  return out.text();
}

TEST(MetricsExport, WorkerReportsBecomePerWorkerAndTotalFamiliesThatParse) {
  WorkerMetrics metrics;
  metrics.update("worker-a", report(3, 2, {0.05, 0.5}).get());
  metrics.update("worker-b", report(4, 1, {5, 50}).get());
  std::string text = exported(metrics);
  test::PromText parsed = test::parsePrometheusText(text);
  ASSERT_TRUE(parsed.errors.empty()) << ::testing::PrintToString(parsed.errors) << text;

  EXPECT_EQ(parsed.types["sg_worker_messages_total"], "counter");
  EXPECT_EQ(parsed.types["sg_inflight"], "gauge");
  EXPECT_EQ(parsed.types["sg_llm_call_seconds"], "histogram");
  EXPECT_EQ(
      parsed.value("sg_worker_messages_total", {{"worker", "worker-a"}, {"outcome", "answered"}}),
      3);
  EXPECT_EQ(parsed.value("sg_messages_total", {{"outcome", "answered"}}), 7);
  EXPECT_EQ(parsed.value("sg_inflight"), 3);
  // Buckets add up across workers; the label value survives its escapes.
  std::map<std::string, std::string> model = {{"model", "m\"x\\y\nz"}};
  EXPECT_EQ(parsed.value("sg_llm_call_seconds_count", model), 4);
  EXPECT_EQ(parsed.value("sg_llm_call_seconds_sum", model), 55.55);
  auto bucket = model;
  bucket["le"] = "1";
  EXPECT_EQ(parsed.value("sg_llm_call_seconds_bucket", bucket), 2);
  bucket["le"] = "+Inf";
  EXPECT_EQ(parsed.value("sg_llm_call_seconds_bucket", bucket), 4);
}

TEST(MetricsExport, TotalsStayMonotonicWhenAWorkerExitsAndGaugesLeaveWithIt) {
  WorkerMetrics metrics;
  metrics.update("worker-a", report(3, 2, {0.5}).get());
  metrics.update("worker-b", report(4, 1, {0.5}).get());
  metrics.retire("worker-a");
  metrics.update("worker-c", report(1, 5, {}).get());  // the replacement starts from zero
  test::PromText parsed = test::parsePrometheusText(exported(metrics));
  ASSERT_TRUE(parsed.errors.empty()) << ::testing::PrintToString(parsed.errors);
  EXPECT_EQ(parsed.value("sg_messages_total", {{"outcome", "answered"}}), 8);
  EXPECT_EQ(parsed.value("sg_llm_call_seconds_count"), 2);
  EXPECT_EQ(parsed.value("sg_inflight"), 6);
  EXPECT_TRUE(parsed.all("sg_worker_inflight").size() == 2u);
  EXPECT_TRUE(std::isnan(parsed.value("sg_worker_inflight", {{"worker", "worker-a"}})));
}

TEST(MetricsExport, WhatCannotBeExportedIsLeftOut) {
  JsonPtr document = parseJson(R"({
    "good_total": {"type": "counter", "help": "ok", "samples": [{"labels": {}, "value": 1}]},
    "bad name": {"type": "counter", "samples": []},
    "odd": {"type": "summary", "samples": []},
    "negative_total": {"type": "counter", "samples": [{"value": -1}]},
    "reserved": {"type": "gauge", "samples": [{"labels": {"worker": "x"}, "value": 1},
                                              {"labels": {"le": "1"}, "value": 1},
                                              {"labels": {"__x": "1"}, "value": 1}]},
    "unordered": {"type": "histogram", "samples": [{"buckets": [[1, 2], [0.5, 3]], "count": 3,
                                                    "sum": 1}]},
    "worker_clash": {"type": "gauge", "samples": [{"value": 1}]}
  })");
  std::vector<std::string> problems;
  std::vector<MetricFamily> families = readMetricsReport(document.get(), &problems);
  EXPECT_EQ(problems.size(), 7u) << ::testing::PrintToString(problems);
  WorkerMetrics metrics;
  metrics.update("worker-a", document.get());
  std::string text = exported(metrics);
  test::PromText parsed = test::parsePrometheusText(text);
  EXPECT_TRUE(parsed.errors.empty()) << ::testing::PrintToString(parsed.errors) << text;
  EXPECT_EQ(parsed.value("sg_good_total"), 1);
  EXPECT_EQ(text.find("worker_clash"), std::string::npos);
  EXPECT_EQ(text.find("negative"), std::string::npos) << text;
}

TEST(MetricsExport, ValuesAndHelpAreFormattedAsTheTextFormatWants) {
  EXPECT_EQ(formatMetricValue(3), "3");
  EXPECT_EQ(formatMetricValue(0.25), "0.25");
  EXPECT_EQ(formatMetricValue(INFINITY), "+Inf");
  EXPECT_EQ(formatMetricValue(-INFINITY), "-Inf");
  EXPECT_EQ(formatMetricValue(NAN), "NaN");
  EXPECT_EQ(formatMetricValue(1e21), "1e+21");
  PrometheusText out;
  out.family("sg_x", MetricType::kGauge, "a \\ b\nc");
  out.sample("sg_x", {{"k", "v"}}, NAN);
  EXPECT_EQ(out.text(), "# HELP sg_x a \\\\ b\\nc\n# TYPE sg_x gauge\nsg_x{k=\"v\"} NaN\n");
  EXPECT_TRUE(test::parsePrometheusText(out.text()).errors.empty());
}

// The checker itself refuses what the format forbids (so a passing /metrics means something).
TEST(MetricsExport, TheCheckerRefusesBrokenText) {
  const char* broken[] = {
      "x 1",                                                       // no final newline
      "1x 1\n",                                                    // bad name
      "x{a=\"1\" 1\n",                                             // unterminated labels
      "x{a=\"\\t\"} 1\n",                                          // bad escape
      "# TYPE x counter\nx -1\n",                                  // negative counter
      "# TYPE x gauge\nx 1\n# TYPE x gauge\n",                     // second TYPE
      "x 1\n# TYPE x gauge\n",                                     // TYPE after samples
      "# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 2\n",  // family split
      "x 1\nx 2\n",                                                // duplicate series
      "x one\n",                                                   // bad value
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  // no +Inf
  };
  for (const char* text : broken) {
    EXPECT_FALSE(test::parsePrometheusText(text).errors.empty()) << text;
  }
  EXPECT_TRUE(
      test::parsePrometheusText("# a comment\nx{a=\"b\"} 1 1700000000000\n").errors.empty());
}

}  // namespace
}  // namespace sg
