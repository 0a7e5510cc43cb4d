// Command-line parsing for ecsd-runtime: runc-style "--flag value",
// "--flag=value" and short aliases, options before positional arguments.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::runtime::cli {

struct FlagSpec {
  std::string_view name;   // "bundle"
  std::string_view alias;  // "b" or ""
  bool takes_value = false;
  bool repeated = false;   // "--env" may be given many times
};

struct Parsed {
  std::map<std::string, std::vector<std::string>> values;  // by long name
  std::vector<std::string> positional;
  bool has(std::string_view name) const { return values.count(std::string(name)) > 0; }
  std::string get(std::string_view name, std::string def = {}) const;
  std::vector<std::string> all(std::string_view name) const;
};

// Parses until the first positional argument when stop_at_positional is true
// (everything after it is positional: `exec ID cmd -x`), else anywhere.
// "--" ends the options.
Result<Parsed> parse_args(const std::vector<std::string>& args, const std::vector<FlagSpec>& flags,
                          bool stop_at_positional);

}  // namespace ecsd::runtime::cli
