// Per-worker and total metrics from the workers' reports (see worker_metrics.h).
#include "supervisor/worker_metrics.h"

#include <spdlog/fmt/fmt.h>

#include "common/log.h"

namespace sg {
namespace {

constexpr std::string_view kWorkerPrefix = "sg_worker_";
constexpr std::string_view kTotalPrefix = "sg_";

// Names that would collide with the per-worker families or the supervisor's own once prefixed.
bool reservedName(std::string_view name) {
  return name.starts_with("worker_") || name.starts_with("supervisor_");
}

}  // namespace

bool addSample(MetricType type, const MetricSample& from, MetricSample& into) {
  if (type != MetricType::kHistogram) {
    into.value += from.value;
    return true;
  }
  HistogramValue& sum = into.histogram;
  const HistogramValue& add = from.histogram;
  if (sum.buckets.size() != add.buckets.size()) return false;
  for (size_t i = 0; i < sum.buckets.size(); ++i) {
    if (sum.buckets[i].first != add.buckets[i].first) return false;
  }
  for (size_t i = 0; i < sum.buckets.size(); ++i) sum.buckets[i].second += add.buckets[i].second;
  sum.count += add.count;
  sum.sum += add.sum;
  return true;
}

void WorkerMetrics::update(const std::string& worker_id, const cJSON* metrics) {
  std::vector<std::string> problems;
  std::vector<MetricFamily> families = readMetricsReport(metrics, &problems);
  Families& stored = workers_[worker_id];
  stored.clear();
  for (MetricFamily& family : families) {
    if (family.samples.empty()) continue;
    if (reservedName(family.name)) {
      problems.push_back(fmt::format("family \"{}\": reserved name", family.name));
      continue;
    }
    Series& series = stored[family.name];
    series.type = family.type;
    series.help = std::move(family.help);
    for (MetricSample& sample : family.samples) {
      MetricLabels labels = sample.labels;
      series.samples.insert_or_assign(std::move(labels), std::move(sample));
    }
  }
  if (!problems.empty() && warned_.insert(worker_id).second) {
    log::get("sup").warn("{} reports metrics that cannot be exported (left out): {}", worker_id,
                         fmt::join(problems, "; "));
  }
}

void WorkerMetrics::retire(const std::string& worker_id) {
  auto found = workers_.find(worker_id);
  if (found == workers_.end()) return;
  fold(found->second, /*gauges=*/false, retired_);
  workers_.erase(found);
  warned_.erase(worker_id);
}

// Adds every sample of `from` into `into`; a family whose type disagrees with the one already
// there is skipped, as is a histogram whose bounds differ.
void WorkerMetrics::fold(const Families& from, bool gauges, Families& into) {
  for (const auto& [name, series] : from) {
    if (!gauges && series.type == MetricType::kGauge) continue;
    auto [slot, inserted] = into.try_emplace(name, Series{series.type, series.help, {}});
    if (slot->second.type != series.type) continue;
    for (const auto& [labels, sample] : series.samples) {
      auto [sum, fresh] = slot->second.samples.try_emplace(labels, sample);
      if (!fresh) addSample(series.type, sample, sum->second);
    }
  }
}

void WorkerMetrics::write(PrometheusText& out) const {
  writePerWorker(out);
  writeTotals(out);
}

void WorkerMetrics::writePerWorker(PrometheusText& out) const {
  // Family by family (the format wants each one whole), every worker's samples in it.
  std::map<std::string, const Series*> names;
  for (const auto& [worker, families] : workers_) {
    for (const auto& [name, series] : families) names.try_emplace(name, &series);
  }
  for (const auto& [name, first] : names) {
    std::string full = std::string(kWorkerPrefix) + name;
    out.family(full, first->type, first->help);
    for (const auto& [worker, families] : workers_) {
      auto found = families.find(name);
      if (found == families.end() || found->second.type != first->type) continue;
      for (const auto& [labels, sample] : found->second.samples) {
        MetricLabels with_worker = {{"worker", worker}};
        with_worker.insert(with_worker.end(), labels.begin(), labels.end());
        if (first->type == MetricType::kHistogram) {
          out.histogram(full, with_worker, sample.histogram);
        } else {
          out.sample(full, with_worker, sample.value);
        }
      }
    }
  }
}

WorkerMetrics::Families WorkerMetrics::totals() const {
  Families sum = retired_;
  for (const auto& [worker, families] : workers_) fold(families, /*gauges=*/true, sum);
  return sum;
}

void WorkerMetrics::writeTotals(PrometheusText& out) const {
  for (const auto& [name, series] : totals()) {
    std::string full = std::string(kTotalPrefix) + name;
    out.family(full, series.type, series.help + " (all workers of this supervisor)");
    for (const auto& [labels, sample] : series.samples) {
      if (series.type == MetricType::kHistogram) {
        out.histogram(full, labels, sample.histogram);
      } else {
        out.sample(full, labels, sample.value);
      }
    }
  }
}

}  // namespace sg
