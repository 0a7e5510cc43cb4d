#include "agent/task/json_fields.h"

namespace ecsd::task {

std::string describe_json(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: {
      std::string s = j.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string \"" + s + "\"";
    }
    case json::value_t::boolean: return std::string("boolean ") + (j.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "number " + j.dump();
    default: return "an unexpected value";
  }
}

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view parent, size_t i) {
  return std::string(parent) + "[" + std::to_string(i) + "]";
}

Result<json> parse_json_text(std::string_view text, std::string_view what) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return fail_invalid(std::string(what) + ": invalid JSON: " + e.what());
  }
}

Result<Fields> Fields::of(const json& j, std::string path) {
  if (!j.is_object())
    return fail_invalid((path.empty() ? std::string("document") : path) + ": expected an object, got " + describe_json(j));
  return Fields(j, std::move(path));
}

const json* Fields::get(std::string_view key) {
  seen_.emplace(key);
  auto it = j_->find(key);
  if (it == j_->end() || it->is_null()) return nullptr;
  return &*it;
}

void Fields::ignore(std::string_view key) {
  seen_.emplace(key);
  auto it = j_->find(key);
  if (it != j_->end() && !it->is_null()) ignored_.emplace(key);
}

Result<std::string> as_string(const json& j, std::string_view path) {
  if (!j.is_string()) return fail_invalid(std::string(path) + ": expected a string, got " + describe_json(j));
  return j.get<std::string>();
}

Result<int64_t> as_integer(const json& j, std::string_view path) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) return fail_invalid(std::string(path) + ": integer out of range");
    return static_cast<int64_t>(v);
  }
  return fail_invalid(std::string(path) + ": expected an integer, got " + describe_json(j));
}

Result<bool> as_bool(const json& j, std::string_view path) {
  if (!j.is_boolean()) return fail_invalid(std::string(path) + ": expected a boolean, got " + describe_json(j));
  return j.get<bool>();
}

Result<std::vector<std::string>> as_string_list(const json& j, std::string_view path) {
  if (!j.is_array()) return fail_invalid(std::string(path) + ": expected an array of strings, got " + describe_json(j));
  std::vector<std::string> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    auto s = as_string(j[i], index_path(path, i));
    if (!s) return std::unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

Status Fields::str(std::string_view key, std::string& out) {
  const json* v = get(key);
  if (!v) return {};
  auto s = as_string(*v, path_of(key));
  if (!s) return std::unexpected(s.error());
  out = std::move(*s);
  return {};
}

Status Fields::str(std::string_view key, std::optional<std::string>& out) {
  const json* v = get(key);
  if (!v) return {};
  auto s = as_string(*v, path_of(key));
  if (!s) return std::unexpected(s.error());
  out = std::move(*s);
  return {};
}

Status Fields::integer(std::string_view key, int64_t& out) {
  const json* v = get(key);
  if (!v) return {};
  auto n = as_integer(*v, path_of(key));
  if (!n) return std::unexpected(n.error());
  out = *n;
  return {};
}

Status Fields::integer(std::string_view key, std::optional<int64_t>& out) {
  const json* v = get(key);
  if (!v) return {};
  auto n = as_integer(*v, path_of(key));
  if (!n) return std::unexpected(n.error());
  out = *n;
  return {};
}

Status Fields::number(std::string_view key, std::optional<double>& out) {
  const json* v = get(key);
  if (!v) return {};
  if (!v->is_number()) return fail_invalid(path_of(key) + ": expected a number, got " + describe_json(*v));
  out = v->get<double>();
  return {};
}

Status Fields::boolean(std::string_view key, bool& out) {
  const json* v = get(key);
  if (!v) return {};
  auto b = as_bool(*v, path_of(key));
  if (!b) return std::unexpected(b.error());
  out = *b;
  return {};
}

Status Fields::str_list(std::string_view key, std::vector<std::string>& out) {
  const json* v = get(key);
  if (!v) return {};
  auto l = as_string_list(*v, path_of(key));
  if (!l) return std::unexpected(l.error());
  out = std::move(*l);
  return {};
}

Status Fields::str_list(std::string_view key, std::optional<std::vector<std::string>>& out) {
  const json* v = get(key);
  if (!v) return {};
  auto l = as_string_list(*v, path_of(key));
  if (!l) return std::unexpected(l.error());
  out = std::move(*l);
  return {};
}

Status Fields::str_map(std::string_view key, std::map<std::string, std::string>& out) {
  const json* v = get(key);
  if (!v) return {};
  std::string p = path_of(key);
  if (!v->is_object()) return fail_invalid(p + ": expected an object of strings, got " + describe_json(*v));
  std::map<std::string, std::string> m;
  for (auto it = v->begin(); it != v->end(); ++it) {
    auto s = as_string(it.value(), join_path(p, it.key()));
    if (!s) return std::unexpected(s.error());
    m[it.key()] = std::move(*s);
  }
  out = std::move(m);
  return {};
}

Status Fields::objects(std::string_view key, const std::function<Status(Fields&)>& fn) {
  const json* v = get(key);
  if (!v) return {};
  std::string p = path_of(key);
  if (!v->is_array()) return fail_invalid(p + ": expected an array, got " + describe_json(*v));
  for (size_t i = 0; i < v->size(); ++i) {
    auto f = Fields::of((*v)[i], index_path(p, i));
    if (!f) return std::unexpected(f.error());
    ECSD_TRY(fn(*f));
  }
  return {};
}

Status Fields::object(std::string_view key, const std::function<Status(Fields&)>& fn) {
  const json* v = get(key);
  if (!v) return {};
  auto f = Fields::of(*v, path_of(key));
  if (!f) return std::unexpected(f.error());
  return fn(*f);
}

std::vector<std::string> Fields::unknown() const {
  std::vector<std::string> out;
  for (auto it = j_->begin(); it != j_->end(); ++it) {
    if (it->is_null()) continue;
    if (!seen_.contains(it.key())) out.push_back(it.key());
  }
  return out;  // nlohmann objects iterate in key order
}

std::vector<std::string> Fields::ignored() const {
  std::vector<std::string> out;
  for (const auto& k : ignored_) out.push_back(path_of(k));
  return out;
}

Status Fields::reject_unknown() const {
  auto u = unknown();
  if (u.empty()) return {};
  std::string msg = (path_.empty() ? std::string("") : path_ + ": ") +
                    (u.size() == 1 ? "unknown field " : "unknown fields ");
  for (size_t i = 0; i < u.size(); ++i) {
    if (i) msg += ", ";
    msg += "\"" + u[i] + "\"";
  }
  return fail_invalid(msg);
}

}  // namespace ecsd::task
