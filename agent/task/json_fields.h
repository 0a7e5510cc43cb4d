// Strict, path-aware reading of JSON objects for the task parsers. Every
// error names the field with its JSON path: "containerDefinitions[0].cpu:
// expected an integer, got string \"256\"". Keys that were never read are
// reported by unknown() so a parser can reject (task definitions) or warn
// (ACS payloads) about them. JSON null counts as absent.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace ecsd::task {

using json = nlohmann::json;

// "string \"256\"", "number 2.5", "object", "array", "boolean true".
std::string describe_json(const json& j);
std::string join_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, size_t i);
// Parses JSON text; errors "<what>: invalid JSON: <detail>".
Result<json> parse_json_text(std::string_view text, std::string_view what);

class Fields {
 public:
  // Fails unless j is an object.
  static Result<Fields> of(const json& j, std::string path);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return join_path(path_, key); }

  // The member, or nullptr when absent or null; marks the key as known.
  const json* get(std::string_view key);
  bool has(std::string_view key) { return get(key) != nullptr; }
  // Accepted and deliberately not used; remembered for ignored().
  void ignore(std::string_view key);

  // Each reader leaves `out` untouched when the key is absent or null.
  Status str(std::string_view key, std::string& out);
  Status str(std::string_view key, std::optional<std::string>& out);
  Status integer(std::string_view key, int64_t& out);
  Status integer(std::string_view key, std::optional<int64_t>& out);
  Status number(std::string_view key, std::optional<double>& out);
  Status boolean(std::string_view key, bool& out);
  Status str_list(std::string_view key, std::vector<std::string>& out);
  Status str_list(std::string_view key, std::optional<std::vector<std::string>>& out);
  Status str_map(std::string_view key, std::map<std::string, std::string>& out);
  // Calls fn(element, "path[i]") for each element of an array of objects.
  Status objects(std::string_view key, const std::function<Status(Fields&)>& fn);
  // fn(Fields) for a nested object.
  Status object(std::string_view key, const std::function<Status(Fields&)>& fn);

  // Keys present (and not null) that were neither read nor ignored, sorted.
  std::vector<std::string> unknown() const;
  // Present keys passed to ignore(), as full paths.
  std::vector<std::string> ignored() const;
  // Error naming every unknown field, or success.
  Status reject_unknown() const;

 private:
  Fields(const json& j, std::string path) : j_(&j), path_(std::move(path)) {}
  const json* j_;
  std::string path_;
  std::set<std::string, std::less<>> seen_;
  std::set<std::string, std::less<>> ignored_;
};

// Typed views of a single value at a known path.
Result<std::string> as_string(const json& j, std::string_view path);
Result<int64_t> as_integer(const json& j, std::string_view path);
Result<bool> as_bool(const json& j, std::string_view path);
Result<std::vector<std::string>> as_string_list(const json& j, std::string_view path);

}  // namespace ecsd::task
