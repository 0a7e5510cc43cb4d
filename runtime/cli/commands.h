// ecsd-runtime verbs. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace ecsd::runtime::cli {

struct Global {
  std::string root = "/run/ecsd-runtime";
  std::string self_dir;  // directory of this binary (ecsd-shim lives there)
};

int cmd_create(const Global& g, const std::vector<std::string>& args);
int cmd_start(const Global& g, const std::vector<std::string>& args);
int cmd_run(const Global& g, const std::vector<std::string>& args);
int cmd_state(const Global& g, const std::vector<std::string>& args);
int cmd_kill(const Global& g, const std::vector<std::string>& args);
int cmd_delete(const Global& g, const std::vector<std::string>& args);
int cmd_exec(const Global& g, const std::vector<std::string>& args);
int cmd_list(const Global& g, const std::vector<std::string>& args);
int cmd_spec(const Global& g, const std::vector<std::string>& args);

}  // namespace ecsd::runtime::cli
