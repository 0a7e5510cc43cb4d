// The daemon's control socket (<data-dir>/ecsd.sock, mode 0600): newline-
// delimited JSON requests and responses, one poll loop, no thread per client.
//
//   {"op":"ping"}                                   -> {"ok":true,"pid":N}
//   {"op":"submit","source":"task-definition"|"acs","json":"...","arn":"..."}
//                                                   -> {"ok":true,"id":"..."}
//   {"op":"stop","task":"ID|PREFIX|ARN"}            -> {"ok":true}
//   {"op":"list"}                                   -> {"ok":true,"tasks":[...]}
//   {"op":"inspect","task":"..."}                   -> {"ok":true,"task":{...}}
//   {"op":"events","after":SEQ,"task":"ID","follow":true}
//       -> {"event":{...}} lines as they happen (follow), or {"ok":true,"events":[...]}
// Errors: {"ok":false,"error":"..."}.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "agent/engine/engine.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd::engine {

class Server {
 public:
  // Binds the socket (replacing a stale one) and starts serving in a thread.
  static Result<std::unique_ptr<Server>> start(Engine& engine, const std::string& socket_path);
  ~Server();
  // Call from Engine's on_change (or anywhere): followers get new events.
  void notify();
  // Stops serving and removes the socket.
  void stop();

  struct Impl;

 private:
  Server() = default;
  std::unique_ptr<Impl> impl_;
};

std::string socket_path(const std::string& data_dir);

}  // namespace ecsd::engine
