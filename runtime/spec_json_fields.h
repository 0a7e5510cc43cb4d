// Strict, path-aware readers over nlohmann::json for the OCI config parsers
// (spec.cpp, seccomp_profile.cpp). Every error names the JSON path of the
// offending value: "process.user.uid: expected an unsigned 32-bit integer, got \"abc\"".
// JSON null is treated as "absent" for optional members (Go encoders emit
// null for empty slices and maps).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace ecsd::runtime::jsonf {

using nlohmann::json;

// "a.b" (or "b" at the top level) and "a[3]".
std::string member_path(std::string_view path, std::string_view key);
std::string index_path(std::string_view path, size_t i);

// "<path>: <msg>"
Error field_error(std::string_view path, std::string_view msg);
// "<path>: expected <what>, got <json text>"
Error type_error(std::string_view path, std::string_view what, const json& got);

// The value must be an object whose keys are all in `known`.
Status check_object(const json& v, std::string_view path, std::initializer_list<std::string_view> known);

// Member `key` of an object, nullptr when absent or null.
const json* member(const json& obj, std::string_view key);

Status read_value(const json& v, std::string_view path, std::string& out);
Status read_value(const json& v, std::string_view path, bool& out);
Status read_value(const json& v, std::string_view path, uint32_t& out);
Status read_value(const json& v, std::string_view path, uint64_t& out);
Status read_value(const json& v, std::string_view path, int64_t& out);
Status read_value(const json& v, std::string_view path, int& out);
Status read_value(const json& v, std::string_view path, std::vector<std::string>& out);
Status read_value(const json& v, std::string_view path, std::vector<uint32_t>& out);
Status read_value(const json& v, std::string_view path, std::map<std::string, std::string>& out);

template <typename T>
Status read_value(const json& v, std::string_view path, std::optional<T>& out) {
  T t{};
  ECSD_TRY(read_value(v, path, t));
  out = std::move(t);
  return {};
}

// Reads obj[key] into out when present; leaves out untouched when absent/null.
template <typename T>
Status read_member(const json& obj, std::string_view path, std::string_view key, T& out) {
  const json* m = member(obj, key);
  if (m == nullptr) return {};
  return read_value(*m, member_path(path, key), out);
}

// Reads an array of objects with `each(element, element_path, T&)`.
template <typename T, typename F>
Status read_array(const json& v, std::string_view path, std::vector<T>& out, F&& each) {
  if (!v.is_array()) return std::unexpected(type_error(path, "an array", v));
  out.clear();
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    T t{};
    ECSD_TRY(each(v[i], index_path(path, i), t));
    out.push_back(std::move(t));
  }
  return {};
}

template <typename T, typename F>
Status read_array_member(const json& obj, std::string_view path, std::string_view key, std::vector<T>& out,
                         F&& each) {
  const json* m = member(obj, key);
  if (m == nullptr) return {};
  return read_array(*m, member_path(path, key), out, each);
}

}  // namespace ecsd::runtime::jsonf
