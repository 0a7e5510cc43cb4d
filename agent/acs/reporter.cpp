#include "agent/acs/reporter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace ecsd::acs {

namespace {

ecs::ContainerChange container_change(const Event& e) {
  ecs::ContainerChange c;
  c.name = e.container;
  c.runtime_id = e.runtime_id;
  c.image_digest = e.image_digest;
  c.status = e.status;
  c.exit_code = e.exit_code;
  c.reason = e.reason;
  c.bindings = e.bindings;
  return c;
}

}  // namespace

std::vector<std::pair<uint64_t, ecs::TaskChange>> ChangeBatcher::add(const Event& e) {
  std::vector<std::pair<uint64_t, ecs::TaskChange>> out;
  bool reportable = e.status == "RUNNING" || e.status == "STOPPED";
  if (!reportable) return out;
  auto& reported = task_status_[e.task_arn];
  if (!e.container.empty()) {
    if (reported == "RUNNING") {
      ecs::TaskChange c;
      c.cluster = cluster_;
      c.task_arn = e.task_arn;
      c.status = "RUNNING";
      c.containers.push_back(container_change(e));
      out.emplace_back(e.seq, std::move(c));
    } else if (reported == "STOPPED") {
      // After the task's STOPPED: nothing more to say.
    } else {
      held_[e.task_arn].push_back(e);
    }
    return out;
  }
  // A task change carries the container changes held for it (latest per container).
  ecs::TaskChange c;
  c.cluster = cluster_;
  c.task_arn = e.task_arn;
  c.status = e.status;
  c.reason = e.status == "STOPPED" ? e.reason : "";
  auto it = held_.find(e.task_arn);
  if (it != held_.end()) {
    std::map<std::string, Event> latest;
    std::vector<std::string> order;
    for (const auto& h : it->second) {
      if (!latest.count(h.container)) order.push_back(h.container);
      latest[h.container] = h;
    }
    for (const auto& name : order) c.containers.push_back(container_change(latest[name]));
    held_.erase(it);
  }
  if (e.status == "STOPPED") c.execution_stopped_at = e.at;
  reported = e.status;
  out.emplace_back(e.seq, std::move(c));
  return out;
}

uint64_t ChangeBatcher::safe_cursor(uint64_t last_fed) const {
  uint64_t c = last_fed;
  for (const auto& [task, events] : held_)
    for (const auto& e : events) c = std::min<uint64_t>(c, e.seq - 1);
  return c;
}

uint64_t load_cursor(const std::string& path, std::set<uint64_t>* sent) {
  if (path.empty()) return 0;
  auto text = read_file(path);
  if (!text) return 0;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("cursor") || !j["cursor"].is_number_unsigned()) return 0;
  if (sent && j.contains("sent") && j["sent"].is_array())
    for (const auto& s : j["sent"])
      if (s.is_number_unsigned()) sent->insert(s.get<uint64_t>());
  return j["cursor"].get<uint64_t>();
}

Reporter::Reporter(std::string cluster, ecs::Client& client, EventSource& source, std::string cursor_path)
    : cluster_(cluster), client_(client), source_(source), cursor_path_(std::move(cursor_path)), batcher_(cluster) {
  stats_.cursor = load_cursor(cursor_path_, &sent_);
}

void Reporter::stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

ReporterStats Reporter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Reporter::submit_extra(const ecs::TaskChange& change) {
  std::lock_guard lock(mu_);
  extra_.push_back(change);
}

void Reporter::save_cursor(uint64_t c) {
  {
    std::lock_guard lock(mu_);
    if (c > stats_.cursor) stats_.cursor = c;
    c = stats_.cursor;
  }
  sent_.erase(sent_.begin(), sent_.upper_bound(c));
  if (cursor_path_.empty()) return;
  nlohmann::json j{{"cursor", c}, {"sent", sent_}};
  auto s = write_file_atomic(cursor_path_, j.dump() + "\n");
  if (!s) spdlog::warn("reporter: saving the cursor: {}", s.error().message);
}

bool Reporter::submit(const ecs::TaskChange& c) {
  ecs::RetryPolicy backoff;
  backoff.base = std::chrono::milliseconds(250);
  backoff.cap = std::chrono::milliseconds(30000);
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
    }
    auto r = client_.call("SubmitTaskStateChange", ecs::task_state_change_body(c));
    if (r) {
      std::lock_guard lock(mu_);
      ++stats_.submitted;
      return true;
    }
    if (!r.error().retryable) {
      spdlog::error("reporter: {} {} dropped: {}", c.task_arn, c.status, r.error().str());
      std::lock_guard lock(mu_);
      ++stats_.dropped;
      return true;
    }
    {
      std::unique_lock lock(mu_);
      ++stats_.retries;
      cv_.wait_for(lock, ecs::backoff_delay(backoff, attempt), [this] { return stopping_; });
    }
  }
}

void Reporter::run() {
  uint64_t fed = stats().cursor;
  for (;;) {
    std::vector<ecs::TaskChange> extra;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      extra.swap(extra_);
    }
    for (const auto& c : extra)
      if (!submit(c)) return;
    auto events = source_.wait_events(fed, 500);
    for (const auto& e : events) {
      if (e.seq <= fed) continue;
      auto ready = batcher_.add(e);
      if (sent_.count(e.seq)) {
        ready.clear();  // submitted before a restart: replayed only to rebuild the batcher
      }
      for (const auto& [seq, change] : ready) {
        if (!submit(change)) return;
        sent_.insert(e.seq);
      }
      fed = e.seq;
      save_cursor(batcher_.safe_cursor(fed));
    }
  }
}

}  // namespace ecsd::acs
