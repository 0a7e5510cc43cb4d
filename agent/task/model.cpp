#include "agent/task/model.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace ecsd::task {

std::string_view to_string(NetworkMode m) {
  switch (m) {
    case NetworkMode::bridge: return "bridge";
    case NetworkMode::host: return "host";
    case NetworkMode::none: return "none";
    case NetworkMode::awsvpc: return "awsvpc";
  }
  return "?";
}

std::string_view to_string(DependencyCondition c) {
  switch (c) {
    case DependencyCondition::start: return "START";
    case DependencyCondition::complete: return "COMPLETE";
    case DependencyCondition::success: return "SUCCESS";
    case DependencyCondition::healthy: return "HEALTHY";
  }
  return "?";
}

std::optional<NetworkMode> network_mode_from_string(std::string_view s) {
  if (s == "bridge") return NetworkMode::bridge;
  if (s == "host") return NetworkMode::host;
  if (s == "none") return NetworkMode::none;
  if (s == "awsvpc") return NetworkMode::awsvpc;
  return std::nullopt;
}

std::optional<DependencyCondition> condition_from_string(std::string_view s) {
  if (s == "START") return DependencyCondition::start;
  if (s == "COMPLETE") return DependencyCondition::complete;
  if (s == "SUCCESS") return DependencyCondition::success;
  if (s == "HEALTHY") return DependencyCondition::healthy;
  return std::nullopt;
}

const ContainerModel* Task::find_container(std::string_view name) const {
  for (const auto& c : containers)
    if (c.name == name) return &c;
  return nullptr;
}

const Volume* Task::find_volume(std::string_view name) const {
  for (const auto& v : volumes)
    if (v.name == name) return &v;
  return nullptr;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Splits "0.25 vCPU" into a decimal number and a unit (trimmed, lower-case).
bool split_number_unit(std::string_view s, double& number, std::string& unit, bool& integral) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  size_t start = i;
  bool seen_digit = false, seen_dot = false;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
    if (s[i] == '.') {
      if (seen_dot) return false;
      seen_dot = true;
    } else {
      seen_digit = true;
    }
    ++i;
  }
  if (!seen_digit) return false;
  std::string num(s.substr(start, i - start));
  char* end = nullptr;
  number = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size()) return false;
  integral = !seen_dot;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  size_t ustart = i;
  size_t uend = s.size();
  while (uend > ustart && std::isspace(static_cast<unsigned char>(s[uend - 1]))) --uend;
  unit = lower(s.substr(ustart, uend - ustart));
  return true;
}

}  // namespace

Result<int64_t> parse_task_cpu(std::string_view s) {
  double n = 0;
  std::string unit;
  bool integral = false;
  if (!split_number_unit(s, n, unit, integral))
    return fail_invalid("expected CPU units (\"256\") or vCPUs (\"0.25 vCPU\"), got \"" + std::string(s) + "\"");
  double units = 0;
  if (unit.empty()) {
    if (!integral) return fail_invalid("CPU units must be an integer, got \"" + std::string(s) + "\" (write \"" + std::string(s) + " vCPU\" for vCPUs)");
    units = n;
  } else if (unit == "vcpu") {
    units = n * 1024.0;
  } else {
    return fail_invalid("unknown CPU unit \"" + unit + "\" in \"" + std::string(s) + "\" (expected vCPU)");
  }
  double rounded = std::round(units);
  if (std::fabs(rounded - units) > 1e-6)
    return fail_invalid("\"" + std::string(s) + "\" is not a whole number of CPU units");
  if (rounded < 1) return fail_invalid("CPU must be positive, got \"" + std::string(s) + "\"");
  if (rounded > 1e9) return fail_invalid("CPU \"" + std::string(s) + "\" is too large");
  return static_cast<int64_t>(rounded);
}

Result<int64_t> parse_task_memory(std::string_view s) {
  double n = 0;
  std::string unit;
  bool integral = false;
  if (!split_number_unit(s, n, unit, integral))
    return fail_invalid("expected MiB (\"512\") or GB (\"1 GB\"), got \"" + std::string(s) + "\"");
  double mib = 0;
  if (unit.empty()) {
    if (!integral) return fail_invalid("memory in MiB must be an integer, got \"" + std::string(s) + "\"");
    mib = n;
  } else if (unit == "gb") {
    mib = n * 1024.0;
  } else {
    return fail_invalid("unknown memory unit \"" + unit + "\" in \"" + std::string(s) + "\" (expected GB or none for MiB)");
  }
  double rounded = std::round(mib);
  if (std::fabs(rounded - mib) > 1e-6)
    return fail_invalid("\"" + std::string(s) + "\" is not a whole number of MiB");
  if (rounded < 1) return fail_invalid("memory must be positive, got \"" + std::string(s) + "\"");
  if (rounded > 1e12) return fail_invalid("memory \"" + std::string(s) + "\" is too large");
  return static_cast<int64_t>(rounded);
}

std::vector<KeyValue> normalize_environment(std::vector<KeyValue> env) {
  // Stable sort keeps the writing order among equal names; keep the last.
  std::stable_sort(env.begin(), env.end(), [](const KeyValue& a, const KeyValue& b) { return a.name < b.name; });
  std::vector<KeyValue> out;
  out.reserve(env.size());
  for (auto& kv : env) {
    if (!out.empty() && out.back().name == kv.name)
      out.back().value = std::move(kv.value);
    else
      out.push_back(std::move(kv));
  }
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char ch : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace ecsd::task
