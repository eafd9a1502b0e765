// The workers' metrics as the supervisor exports them. Each worker's latest report (the `metrics`
// of its stats, metrics_report.h) is kept and written per worker, with a `worker` label, as
// sg_worker_<name>; totals across workers are written as sg_<name>. Totals stay monotonic when a
// worker exits: its last counters and histograms move into a retired sum (its gauges leave with
// it), so a restart never looks like a counter reset. Families are taken as they come: a counter
// a worker starts reporting tomorrow is exported without a change here.
//
// Not here: the supervisor's own metrics, HTTP. Increments a worker made after its last report
// (at most one report interval) are lost when it dies.
#pragma once

#include <map>
#include <set>
#include <string>

#include "common/json.h"
#include "common/metrics_report.h"
#include "supervisor/prometheus_text.h"

namespace sg {

class WorkerMetrics {
 public:
  // Stores the report as the worker's latest. Parts that break the rules are left out; the first
  // time a worker sends such parts a warning names them.
  void update(const std::string& worker_id, const cJSON* metrics);
  // The worker has exited: fold its counters and histograms into the totals and forget it.
  void retire(const std::string& worker_id);
  // Every per-worker family, then every total.
  void write(PrometheusText& out) const;

  size_t workerCount() const { return workers_.size(); }

 public:
  struct Series {
    MetricType type = MetricType::kGauge;
    std::string help;
    std::map<MetricLabels, MetricSample> samples;
  };
  using Families = std::map<std::string, Series>;

 private:
  void writePerWorker(PrometheusText& out) const;
  void writeTotals(PrometheusText& out) const;
  Families totals() const;
  static void fold(const Families& from, bool gauges, Families& into);

  std::map<std::string, Families> workers_;
  Families retired_;
  std::set<std::string> warned_;
};

// Adds `from` into `into` (counters and gauges by value, histograms bucket by bucket). False, and
// nothing changed, when the histograms' bounds differ.
bool addSample(MetricType type, const MetricSample& from, MetricSample& into);

}  // namespace sg
