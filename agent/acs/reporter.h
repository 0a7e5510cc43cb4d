// Reports task and container state changes to ECS, in order, at least once.
//
// Events come from an EventSource (the engine's durable, sequenced state
// changes). ChangeBatcher turns them into SubmitTaskStateChange bodies the
// way the Go agent does: container RUNNING/STOPPED changes wait for their
// task's RUNNING/STOPPED change and travel with it, except that once the task
// has been reported RUNNING a container change goes at once (a non-essential
// container exiting); PULLED/CREATED and task PENDING are not reported.
// The Reporter submits bodies one at a time, retrying retryable errors
// without end (backoff capped), and persists after each success a cursor (the
// highest event sequence number up to which everything is reported) plus the
// sequence numbers above it whose bodies were already sent (held container
// events keep the cursor back). A restart replays the events above the
// cursor through the batcher, skipping what was sent, so at most the change
// in flight is sent twice and nothing is sent out of order.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/ecs/client.h"
#include "agent/ecs/state_change.h"

namespace ecsd::acs {

struct Event {
  uint64_t seq = 0;
  std::string task_arn;
  std::string container;  // "" for the task itself
  std::string status;
  std::optional<int> exit_code;
  std::string reason;
  std::string runtime_id;
  std::string image_digest;
  std::vector<ecs::NetworkBinding> bindings;
  double at = 0;  // epoch seconds
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Events with seq > after, in order; waits up to timeout_ms for one.
  virtual std::vector<Event> wait_events(uint64_t after, int timeout_ms) = 0;
};

class ChangeBatcher {
 public:
  explicit ChangeBatcher(std::string cluster) : cluster_(std::move(cluster)) {}
  // Feeds one event; returns the bodies now ready (each with the highest
  // event seq it covers).
  std::vector<std::pair<uint64_t, ecs::TaskChange>> add(const Event& e);
  // Everything with seq <= this is reported once the returned bodies are.
  uint64_t safe_cursor(uint64_t last_fed) const;

 private:
  std::string cluster_;
  std::map<std::string, std::string> task_status_;  // reported status per task
  std::map<std::string, std::vector<Event>> held_;  // container events waiting for a task change
};

struct ReporterStats {
  uint64_t submitted = 0;
  uint64_t retries = 0;
  uint64_t dropped = 0;  // terminal errors (logged and skipped)
  uint64_t cursor = 0;
};

class Reporter {
 public:
  // cursor_path: file holding the cursor ("" = not persisted).
  Reporter(std::string cluster, ecs::Client& client, EventSource& source, std::string cursor_path);
  void run();  // until stop()
  void stop();
  ReporterStats stats() const;
  // Submits a change that is not an engine event (a task the engine refused),
  // ahead of the next batch. Not persisted.
  void submit_extra(const ecs::TaskChange& change);

 private:
  bool submit(const ecs::TaskChange& c);
  void save_cursor(uint64_t c);
  std::set<uint64_t> sent_;  // seqs above the cursor whose bodies were submitted

  std::string cluster_;
  ecs::Client& client_;
  EventSource& source_;
  std::string cursor_path_;
  ChangeBatcher batcher_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<ecs::TaskChange> extra_;
  ReporterStats stats_;
};

// Reads a cursor file (0 when absent or unreadable): {"cursor": N, "sent": [...]}.
uint64_t load_cursor(const std::string& path, std::set<uint64_t>* sent = nullptr);

}  // namespace ecsd::acs
