#include "agent/engine/store.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

namespace ecsd::engine {
namespace {

Error db_error(sqlite3* db, std::string_view what) {
  return Error::invalid("sqlite " + std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
  ~Stmt() { sqlite3_finalize(st_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(st_, i);
    return *this;
  }
  int step() { return sqlite3_step(st_); }
  std::string text(int i) {
    auto p = sqlite3_column_text(st_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st_, i)))
             : std::string();
  }
  int64_t i64(int i) { return sqlite3_column_int64(st_, i); }
  bool is_null(int i) { return sqlite3_column_type(st_, i) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  int rc_;
};

nlohmann::json bindings_json(const std::vector<NetworkBinding>& b) {
  auto a = nlohmann::json::array();
  for (const auto& x : b)
    a.push_back({{"bindIP", x.bind_ip}, {"containerPort", x.container_port}, {"hostPort", x.host_port},
                 {"protocol", x.protocol}});
  return a;
}

std::vector<NetworkBinding> bindings_from(const std::string& s) {
  std::vector<NetworkBinding> out;
  if (s.empty()) return out;
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& x : j)
    out.push_back({x.value("bindIP", ""), x.value("containerPort", 0), x.value("hostPort", 0), x.value("protocol", "tcp")});
  return out;
}

task::TaskStatus task_status_from(const std::string& s) {
  if (s == "RUNNING") return task::TaskStatus::running;
  if (s == "STOPPED") return task::TaskStatus::stopped;
  return task::TaskStatus::pending;
}
task::HealthStatus health_from(const std::string& s) {
  if (s == "HEALTHY") return task::HealthStatus::healthy;
  if (s == "UNHEALTHY") return task::HealthStatus::unhealthy;
  return task::HealthStatus::unknown;
}

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY, arn TEXT, source TEXT, source_json TEXT,
  known TEXT, desired TEXT, stopped_reason TEXT,
  created_at INTEGER, started_at INTEGER, stopping_at INTEGER, stopped_at INTEGER);
CREATE TABLE IF NOT EXISTS containers (
  task_id TEXT, name TEXT, idx INTEGER, runtime_id TEXT, known TEXT, desired TEXT, essential INTEGER,
  exit_code INTEGER, reason TEXT, health TEXT, ever_healthy INTEGER, health_output TEXT,
  health_exit_code INTEGER, health_at INTEGER, pid INTEGER, shim_pid INTEGER, image_ref TEXT,
  image_digest TEXT, rootfs_mounted INTEGER, created_at INTEGER, started_at INTEGER,
  finished_at INTEGER, stop_sent_at INTEGER, bindings TEXT,
  PRIMARY KEY (task_id, name));
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER, task_id TEXT, body TEXT);
)";

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Error e = db_error(db, "open " + path);
    sqlite3_close(db);
    return fail(e);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> s(new Store(db));
  // WAL with synchronous=NORMAL survives a killed process (not a power cut
  // between checkpoints, which costs at most the last transactions).
  // A small page cache: the working set is a few rows per task.
  ECSD_TRY(s->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-256;"));
  ECSD_TRY(s->exec(kSchema));
  return s;
}

Store::~Store() { sqlite3_close(db_); }

Status Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return fail_invalid("sqlite: " + m);
  }
  return {};
}

namespace {

// The rows of a task, bound to a statement or appended to a key (the same
// code for both, so the "unchanged" check cannot miss a column).
struct RowKey {
  std::string key;
  RowKey& bind(int, const std::string& s) {
    key += 's';
    key += std::to_string(s.size());
    key += ':';
    key += s;
    return *this;
  }
  RowKey& bind(int, int64_t v) {
    key += 'i';
    key += std::to_string(v);
    key += ';';
    return *this;
  }
  RowKey& bind_null(int) {
    key += 'n';
    return *this;
  }
};

template <class B>
void bind_task(B& st, const TaskRecord& t) {
  st.bind(1, t.id).bind(2, t.arn).bind(3, std::string(to_string(t.source))).bind(4, t.source_json);
  st.bind(5, std::string(task::to_string(t.known))).bind(6, std::string(task::to_string(t.desired)));
  st.bind(7, t.stopped_reason).bind(8, t.created_at_ms).bind(9, t.started_at_ms).bind(10, t.stopping_at_ms);
  st.bind(11, t.stopped_at_ms);
}

template <class B>
void bind_container(B& st, const TaskRecord& t, const ContainerRecord& c, int idx) {
  st.bind(1, t.id).bind(2, c.name).bind(3, int64_t{idx}).bind(4, c.runtime_id);
  st.bind(5, std::string(task::to_string(c.known))).bind(6, std::string(task::to_string(c.desired)));
  st.bind(7, int64_t{c.essential});
  if (c.exit_code) st.bind(8, int64_t{*c.exit_code});
  else st.bind_null(8);
  st.bind(9, c.reason).bind(10, std::string(task::to_string(c.health))).bind(11, int64_t{c.ever_healthy});
  st.bind(12, c.health_output);
  if (c.health_exit_code) st.bind(13, int64_t{*c.health_exit_code});
  else st.bind_null(13);
  st.bind(14, c.health_at_ms).bind(15, int64_t{c.pid}).bind(16, int64_t{c.shim_pid}).bind(17, c.image_ref);
  st.bind(18, c.image_digest).bind(19, int64_t{c.rootfs_mounted}).bind(20, c.created_at_ms);
  st.bind(21, c.started_at_ms).bind(22, c.finished_at_ms).bind(23, c.stop_sent_at_ms);
  st.bind(24, bindings_json(c.bindings).dump());
}

}  // namespace

Status Store::save(const TaskRecord& t, std::vector<StateChange>* events) {
  RowKey rk;
  bind_task(rk, t);
  for (size_t i = 0; i < t.containers.size(); ++i) {
    rk.key += '|';
    bind_container(rk, t, t.containers[i], static_cast<int>(i));
  }
  bool no_events = !events || events->empty();
  if (auto it = saved_.find(t.id); no_events && it != saved_.end() && it->second == rk.key) return {};
  saved_.erase(t.id);
  ECSD_TRY(exec("BEGIN IMMEDIATE"));
  auto rollback = [&](Error e) -> Status {
    exec("ROLLBACK");
    return fail(e);
  };
  {
    Stmt st(db_, "INSERT OR REPLACE INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    if (!st.ok()) return rollback(db_error(db_, "prepare"));
    bind_task(st, t);
    if (st.step() != SQLITE_DONE) return rollback(db_error(db_, "save task " + t.id));
  }
  int idx = 0;
  for (const auto& c : t.containers) {
    Stmt st(db_, "INSERT OR REPLACE INTO containers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st.ok()) return rollback(db_error(db_, "prepare"));
    bind_container(st, t, c, idx++);
    if (st.step() != SQLITE_DONE) return rollback(db_error(db_, "save container " + c.name));
  }
  if (events) {
    for (auto& e : *events) {
      if (e.at_ms == 0) e.at_ms = now_ms();
      nlohmann::json j = {{"task", e.task_id}, {"arn", e.task_arn}, {"container", e.container},
                          {"status", e.status}, {"health", e.health}, {"reason", e.reason},
                          {"bindings", bindings_json(e.bindings)}};
      if (e.exit_code) j["exitCode"] = *e.exit_code;
      Stmt st(db_, "INSERT INTO events (at, task_id, body) VALUES (?,?,?)");
      st.bind(1, e.at_ms).bind(2, e.task_id).bind(3, j.dump());
      if (st.step() != SQLITE_DONE) return rollback(db_error(db_, "append event"));
      e.seq = static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
    }
  }
  ECSD_TRY(exec("COMMIT"));
  saved_[t.id] = std::move(rk.key);
  return {};
}

Result<std::vector<TaskRecord>> Store::load() {
  std::vector<TaskRecord> out;
  Stmt st(db_, "SELECT id, arn, source, source_json, known, desired, stopped_reason, created_at, started_at, "
               "stopping_at, stopped_at FROM tasks ORDER BY created_at");
  if (!st.ok()) return fail(db_error(db_, "prepare"));
  while (st.step() == SQLITE_ROW) {
    TaskRecord t;
    t.id = st.text(0);
    t.arn = st.text(1);
    t.source = st.text(2) == "acs" ? SourceKind::acs : SourceKind::task_definition;
    t.source_json = st.text(3);
    t.known = task_status_from(st.text(4));
    t.desired = task_status_from(st.text(5));
    t.stopped_reason = st.text(6);
    t.created_at_ms = st.i64(7);
    t.started_at_ms = st.i64(8);
    t.stopping_at_ms = st.i64(9);
    t.stopped_at_ms = st.i64(10);
    out.push_back(std::move(t));
  }
  for (auto& t : out) {
    Stmt cs(db_, "SELECT name, runtime_id, known, desired, essential, exit_code, reason, health, ever_healthy, "
                 "health_output, health_exit_code, health_at, pid, shim_pid, image_ref, image_digest, "
                 "rootfs_mounted, created_at, started_at, finished_at, stop_sent_at, bindings "
                 "FROM containers WHERE task_id = ? ORDER BY idx");
    cs.bind(1, t.id);
    while (cs.step() == SQLITE_ROW) {
      ContainerRecord c;
      c.name = cs.text(0);
      c.runtime_id = cs.text(1);
      c.known = task::container_status_from_string(cs.text(2)).value_or(task::ContainerStatus::none);
      c.desired = task::container_status_from_string(cs.text(3)).value_or(task::ContainerStatus::running);
      c.essential = cs.i64(4) != 0;
      if (!cs.is_null(5)) c.exit_code = static_cast<int>(cs.i64(5));
      c.reason = cs.text(6);
      c.health = health_from(cs.text(7));
      c.ever_healthy = cs.i64(8) != 0;
      c.health_output = cs.text(9);
      if (!cs.is_null(10)) c.health_exit_code = static_cast<int>(cs.i64(10));
      c.health_at_ms = cs.i64(11);
      c.pid = static_cast<pid_t>(cs.i64(12));
      c.shim_pid = static_cast<pid_t>(cs.i64(13));
      c.image_ref = cs.text(14);
      c.image_digest = cs.text(15);
      c.rootfs_mounted = cs.i64(16) != 0;
      c.created_at_ms = cs.i64(17);
      c.started_at_ms = cs.i64(18);
      c.finished_at_ms = cs.i64(19);
      c.stop_sent_at_ms = cs.i64(20);
      c.bindings = bindings_from(cs.text(21));
      t.containers.push_back(std::move(c));
    }
  }
  return out;
}

Status Store::remove(const std::string& task_id) {
  saved_.erase(task_id);
  ECSD_TRY(exec("BEGIN IMMEDIATE"));
  // Events stay (followers may not have read them yet); prune_events trims them.
  for (const char* sql : {"DELETE FROM containers WHERE task_id = ?", "DELETE FROM tasks WHERE id = ?"}) {
    Stmt st(db_, sql);
    st.bind(1, task_id);
    if (st.step() != SQLITE_DONE) {
      Error e = db_error(db_, "remove task " + task_id);
      exec("ROLLBACK");
      return fail(e);
    }
  }
  ECSD_TRY(exec("COMMIT"));
  return {};
}

Result<std::vector<StateChange>> Store::events_after(uint64_t after, size_t limit) {
  std::vector<StateChange> out;
  Stmt st(db_, "SELECT seq, at, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
  st.bind(1, static_cast<int64_t>(after)).bind(2, static_cast<int64_t>(limit));
  while (st.step() == SQLITE_ROW) {
    StateChange e;
    e.seq = static_cast<uint64_t>(st.i64(0));
    e.at_ms = st.i64(1);
    auto j = nlohmann::json::parse(st.text(2), nullptr, false);
    if (j.is_object()) {
      e.task_id = j.value("task", "");
      e.task_arn = j.value("arn", "");
      e.container = j.value("container", "");
      e.status = j.value("status", "");
      e.health = j.value("health", "");
      e.reason = j.value("reason", "");
      if (j.contains("exitCode")) e.exit_code = j["exitCode"].get<int>();
      if (j.contains("bindings")) e.bindings = bindings_from(j["bindings"].dump());
    }
    out.push_back(std::move(e));
  }
  return out;
}

Status Store::prune_events(size_t keep) {
  Stmt st(db_, "DELETE FROM events WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM events) - ?");
  st.bind(1, static_cast<int64_t>(keep));
  if (st.step() != SQLITE_DONE) return fail(db_error(db_, "prune events"));
  return {};
}

uint64_t Store::last_seq() {
  Stmt st(db_, "SELECT COALESCE(MAX(seq), 0) FROM events");
  if (st.step() == SQLITE_ROW) return static_cast<uint64_t>(st.i64(0));
  return 0;
}

}  // namespace ecsd::engine
