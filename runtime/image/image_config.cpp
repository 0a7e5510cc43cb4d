#include "runtime/image/image_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/image/digest.h"

namespace ecsd::image {

namespace {

using nlohmann::json;

Result<std::vector<std::string>> string_list(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (it->is_string()) {  // tolerated: some tools write "Cmd": "sh"
    out.push_back(it->get<std::string>());
    return out;
  }
  if (!it->is_array()) return fail_invalid(std::string("image config: ") + key + " is not a list");
  for (const auto& v : *it) {
    if (!v.is_string()) return fail_invalid(std::string("image config: ") + key + " has a non-string item");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string string_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::vector<std::string> object_keys(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) return out;
  for (auto kv = it->begin(); kv != it->end(); ++kv) out.push_back(kv.key());
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t int_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return 0;
  return it->get<std::int64_t>();
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("image config is not a JSON object");
  ImageConfig c;
  c.os = string_field(j, "os");
  c.architecture = string_field(j, "architecture");
  c.variant = string_field(j, "variant");

  auto cfg = j.find("config");
  if (cfg != j.end() && cfg->is_object()) {
    const json& o = *cfg;
    auto ep = string_list(o, "Entrypoint");
    if (!ep) return std::unexpected(ep.error());
    c.entrypoint = std::move(*ep);
    auto cmd = string_list(o, "Cmd");
    if (!cmd) return std::unexpected(cmd.error());
    c.cmd = std::move(*cmd);
    auto env = string_list(o, "Env");
    if (!env) return std::unexpected(env.error());
    c.env = std::move(*env);
    c.user = string_field(o, "User");
    c.working_dir = string_field(o, "WorkingDir");
    c.stop_signal = string_field(o, "StopSignal");
    c.exposed_ports = object_keys(o, "ExposedPorts");
    c.volumes = object_keys(o, "Volumes");
    if (auto l = o.find("Labels"); l != o.end() && l->is_object()) {
      for (auto kv = l->begin(); kv != l->end(); ++kv) {
        if (kv->is_string()) c.labels[kv.key()] = kv->get<std::string>();
      }
    }
    if (auto h = o.find("Healthcheck"); h != o.end() && h->is_object()) {
      ImageHealthcheck hc;
      auto test = string_list(*h, "Test");
      if (!test) return std::unexpected(test.error());
      hc.test = std::move(*test);
      hc.interval_ns = int_field(*h, "Interval");
      hc.timeout_ns = int_field(*h, "Timeout");
      hc.start_period_ns = int_field(*h, "StartPeriod");
      hc.start_interval_ns = int_field(*h, "StartInterval");
      hc.retries = static_cast<int>(int_field(*h, "Retries"));
      c.healthcheck = std::move(hc);
    }
  }

  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) return fail_invalid("image config has no rootfs");
  if (string_field(*rootfs, "type") != "layers") {
    return fail_invalid("image config rootfs.type is '" + string_field(*rootfs, "type") +
                        "', expected 'layers'");
  }
  auto ids = string_list(*rootfs, "diff_ids");
  if (!ids) return std::unexpected(ids.error());
  for (const auto& d : *ids) {
    if (auto v = validate_digest(d); !v) return fail(v.error().with_context("image config rootfs.diff_ids"));
  }
  c.diff_ids = std::move(*ids);
  return c;
}

}  // namespace ecsd::image
