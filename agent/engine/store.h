// The engine's durable state: one SQLite database (<data-dir>/ecsd.db, WAL
// journal) with tables tasks, containers and events. Every change of a task
// is written in one transaction together with the state changes it causes, so
// after a crash the database holds either the old status and no event or the
// new status and its event: each change is reported exactly once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/engine/records.h"
#include "common/error.h"

struct sqlite3;

namespace ecsd::engine {

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Replaces the task's row and its containers' rows and appends `events`
  // (their seq and at_ms are filled in), all in one transaction. Without
  // events and with rows equal to what this Store last committed for the
  // task, nothing is written (the engine saves every task on every step).
  Status save(const TaskRecord& t, std::vector<StateChange>* events = nullptr);
  // Every task (model not parsed: the caller re-parses source_json).
  Result<std::vector<TaskRecord>> load();
  // Removes the task and its containers (not its events: see prune_events).
  Status remove(const std::string& task_id);
  // Keeps only the newest `keep` events.
  Status prune_events(size_t keep);
  // Events with seq > after, oldest first, at most `limit`.
  Result<std::vector<StateChange>> events_after(uint64_t after, size_t limit = 1000);
  uint64_t last_seq();

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  Status exec(const char* sql);
  sqlite3* db_;
  std::map<std::string, std::string> saved_;  // task id -> rows last committed
};

}  // namespace ecsd::engine
