// Client side of the daemon socket (server.h), for the CLI commands.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd::engine {

class Client {
 public:
  // Connects to <data-dir>/ecsd.sock. With autostart, when no daemon answers,
  // starts `<ecsd> --data-dir DIR daemon` in the background (its own session,
  // output in <data-dir>/ecsd.log) and waits for it (up to 15 s).
  static Result<Client> connect(const std::string& data_dir, bool autostart, const std::string& ecsd_path = "");
  // One request, one response; errors from the daemon become errors.
  Result<nlohmann::json> call(const nlohmann::json& req);
  Status send(const nlohmann::json& req);
  // Next line from the daemon (blocking; timeout_ms < 0: forever). nullopt on timeout.
  Result<std::optional<nlohmann::json>> read(int timeout_ms = -1);
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::string buf_;
};

}  // namespace ecsd::engine
