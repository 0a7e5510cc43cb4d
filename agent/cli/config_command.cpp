// `ecsd config [--file PATH] [--json]`: the effective agent configuration,
// each variable with its value and where it came from.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cli/commands.h"
#include "agent/config/config.h"

namespace ecsd::cli {

namespace {

std::string config_file_path() {
  if (const char* p = std::getenv("ECSD_CONFIG_FILE"); p && *p) return p;
  return config::kDefaultConfigFile;
}

int config_command(const GlobalOptions& global, const std::vector<std::string>& args) {
  config::LoadOptions opts;
  opts.file_path = config_file_path();
  opts.default_data_dir = global.data_dir;
  bool json = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--file" && i + 1 < args.size()) {
      opts.file_path = args[++i];
    } else if (args[i] == "--json") {
      json = true;
    } else if (args[i] == "-h" || args[i] == "--help") {
      std::printf(
          "usage: ecsd config [--file PATH] [--json]\n"
          "Prints the effective configuration: every ECS_* variable ecsd reads, its value and\n"
          "its source (default, env, or FILE:LINE). The file defaults to $ECSD_CONFIG_FILE,\n"
          "else /etc/ecs/ecs.config; the environment overrides the file.\n"
          "Exit status 1 when a value is invalid (each one named).\n");
      return 0;
    } else {
      std::fprintf(stderr, "ecsd config: unknown argument '%s'\n", args[i].c_str());
      return 2;
    }
  }
  auto loaded = config::load(opts);
  if (!loaded) {
    std::fprintf(stderr, "ecsd config: %s\n", loaded.error().message.c_str());
    return 1;
  }
  for (const auto& w : loaded->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (json) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& e : loaded->entries) out[e.key] = {{"value", e.value}, {"source", e.source}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  size_t w = 0;
  for (const auto& e : loaded->entries) w = std::max(w, std::min<size_t>(e.key.size() + 1 + e.value.size(), 72));
  for (const auto& e : loaded->entries)
    std::printf("%-*s  # %s\n", static_cast<int>(w), (e.key + "=" + e.value).c_str(), e.source.c_str());
  return 0;
}

const RegisterCommand reg{"config", "[--file PATH] [--json]", "print the effective agent configuration and sources",
                          config_command};

}  // namespace

}  // namespace ecsd::cli
