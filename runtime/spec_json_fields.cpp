#include "runtime/spec_json_fields.h"

#include <limits>

namespace ecsd::runtime::jsonf {

std::string member_path(std::string_view path, std::string_view key) {
  std::string p(path);
  if (!p.empty()) p.push_back('.');
  p.append(key);
  return p;
}

std::string index_path(std::string_view path, size_t i) {
  std::string p(path);
  p.push_back('[');
  p.append(std::to_string(i));
  p.push_back(']');
  return p;
}

Error field_error(std::string_view path, std::string_view msg) {
  std::string m(path.empty() ? std::string_view("config") : path);
  m.append(": ");
  m.append(msg);
  return Error::invalid(std::move(m));
}

Error type_error(std::string_view path, std::string_view what, const json& got) {
  std::string text = got.dump();
  if (text.size() > 64) text = text.substr(0, 61) + "...";
  std::string msg = "expected ";
  msg.append(what);
  msg.append(", got ");
  msg.append(text);
  return field_error(path, msg);
}

Status check_object(const json& v, std::string_view path, std::initializer_list<std::string_view> known) {
  if (!v.is_object()) return std::unexpected(type_error(path, "an object", v));
  for (auto it = v.begin(); it != v.end(); ++it) {
    bool ok = false;
    for (std::string_view k : known)
      if (k == it.key()) {
        ok = true;
        break;
      }
    if (!ok) return std::unexpected(field_error(member_path(path, it.key()), "unknown field"));
  }
  return {};
}

const json* member(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status read_value(const json& v, std::string_view path, std::string& out) {
  if (!v.is_string()) return std::unexpected(type_error(path, "a string", v));
  out = v.get<std::string>();
  return {};
}

Status read_value(const json& v, std::string_view path, bool& out) {
  if (!v.is_boolean()) return std::unexpected(type_error(path, "a boolean", v));
  out = v.get<bool>();
  return {};
}

namespace {

// Integral JSON numbers only (nlohmann stores non-negative integers as unsigned).
std::optional<uint64_t> as_unsigned(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

std::optional<int64_t> as_signed(const json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

}  // namespace

Status read_value(const json& v, std::string_view path, uint32_t& out) {
  auto u = as_unsigned(v);
  if (!u || *u > std::numeric_limits<uint32_t>::max())
    return std::unexpected(type_error(path, "an unsigned 32-bit integer", v));
  out = static_cast<uint32_t>(*u);
  return {};
}

Status read_value(const json& v, std::string_view path, uint64_t& out) {
  auto u = as_unsigned(v);
  if (!u) return std::unexpected(type_error(path, "an unsigned 64-bit integer", v));
  out = *u;
  return {};
}

Status read_value(const json& v, std::string_view path, int64_t& out) {
  auto s = as_signed(v);
  if (!s) return std::unexpected(type_error(path, "a signed 64-bit integer", v));
  out = *s;
  return {};
}

Status read_value(const json& v, std::string_view path, int& out) {
  auto s = as_signed(v);
  if (!s || *s < std::numeric_limits<int>::min() || *s > std::numeric_limits<int>::max())
    return std::unexpected(type_error(path, "a 32-bit integer", v));
  out = static_cast<int>(*s);
  return {};
}

Status read_value(const json& v, std::string_view path, std::vector<std::string>& out) {
  if (!v.is_array()) return std::unexpected(type_error(path, "an array of strings", v));
  out.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string s;
    ECSD_TRY(read_value(v[i], index_path(path, i), s));
    out.push_back(std::move(s));
  }
  return {};
}

Status read_value(const json& v, std::string_view path, std::vector<uint32_t>& out) {
  if (!v.is_array()) return std::unexpected(type_error(path, "an array of unsigned 32-bit integers", v));
  out.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t x = 0;
    ECSD_TRY(read_value(v[i], index_path(path, i), x));
    out.push_back(x);
  }
  return {};
}

Status read_value(const json& v, std::string_view path, std::map<std::string, std::string>& out) {
  if (!v.is_object()) return std::unexpected(type_error(path, "an object of strings", v));
  out.clear();
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string s;
    ECSD_TRY(read_value(it.value(), member_path(path, it.key()), s));
    out.emplace(it.key(), std::move(s));
  }
  return {};
}

}  // namespace ecsd::runtime::jsonf
