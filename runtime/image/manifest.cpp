#include "runtime/image/manifest.h"

#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "runtime/image/digest.h"

namespace ecsd::image {

using nlohmann::json;

std::string manifest_accept_header() {
  return "Accept: " + std::string(media_types::kOciIndex) + ", " + std::string(media_types::kDockerManifestList) +
         ", " + std::string(media_types::kOciManifest) + ", " + std::string(media_types::kDockerManifest);
}

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

std::string normalize_architecture(std::string_view a) {
  if (a == "x86_64" || a == "x86-64") return "amd64";
  if (a == "aarch64") return "arm64";
  if (a == "i386" || a == "i686") return "386";
  if (a.starts_with("armv") || a == "armhf" || a == "armel") return "arm";
  return std::string(a);
}

Platform host_platform() {
  Platform p{"linux", "amd64", ""};
  struct utsname u;
  if (::uname(&u) == 0) {
    std::string m = u.machine;
    p.architecture = normalize_architecture(m);
    if (p.architecture == "arm64") p.variant = "v8";
    if (m == "armv7l") p.variant = "v7";
    if (m == "armv6l") p.variant = "v6";
  }
  return p;
}

Result<Platform> parse_platform(std::string_view text) {
  Platform p;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t s = text.find('/', start);
    parts.emplace_back(text.substr(start, s == std::string_view::npos ? std::string_view::npos : s - start));
    if (s == std::string_view::npos) break;
    start = s + 1;
  }
  if (parts.size() < 2 || parts.size() > 3)
    return fail_invalid("invalid platform \"" + std::string(text) + "\": expected os/arch[/variant]");
  for (auto& x : parts)
    if (x.empty()) return fail_invalid("invalid platform \"" + std::string(text) + "\": empty part");
  p.os = parts[0];
  p.architecture = normalize_architecture(parts[1]);
  if (parts.size() == 3) p.variant = parts[2];
  if (parts[1] == "aarch64" && p.variant.empty()) p.variant = "v8";
  return p;
}

namespace {

Result<Descriptor> parse_descriptor(const json& j, const char* what) {
  if (!j.is_object()) return fail_invalid(std::string(what) + " is not an object");
  Descriptor d;
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"].get<std::string>();
  if (!j.contains("digest") || !j["digest"].is_string()) return fail_invalid(std::string(what) + " has no digest");
  d.digest = j["digest"].get<std::string>();
  if (auto st = validate_digest(d.digest); !st) return fail(st.error().with_context(what));
  if (!j.contains("size") || !j["size"].is_number_integer() || j["size"].get<int64_t>() < 0)
    return fail_invalid(std::string(what) + " " + d.digest + " has no valid size");
  d.size = j["size"].get<int64_t>();
  if (j.contains("platform") && j["platform"].is_object()) {
    const auto& p = j["platform"];
    Platform pl;
    if (p.contains("os") && p["os"].is_string()) pl.os = p["os"].get<std::string>();
    if (p.contains("architecture") && p["architecture"].is_string())
      pl.architecture = normalize_architecture(p["architecture"].get<std::string>());
    if (p.contains("variant") && p["variant"].is_string()) pl.variant = p["variant"].get<std::string>();
    d.platform = pl;
  }
  return d;
}

}  // namespace

Result<ParsedManifest> parse_manifest(std::string_view body, std::string_view content_type) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("manifest is not a JSON object");
  std::string ct(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  ParsedManifest m;
  if (j.contains("mediaType") && j["mediaType"].is_string()) m.media_type = j["mediaType"].get<std::string>();
  if (m.media_type.empty()) m.media_type = ct;
  int schema = j.contains("schemaVersion") && j["schemaVersion"].is_number_integer() ? j["schemaVersion"].get<int>() : 0;
  if (schema == 1 || m.media_type == media_types::kDockerSchema1 || m.media_type == media_types::kDockerSchema1Signed)
    return fail_invalid("Docker schema 1 manifests are not supported (deprecated); push the image with a current client");
  if (schema != 2) return fail_invalid("unsupported manifest schemaVersion " + std::to_string(schema));
  if (m.media_type.empty() || m.media_type == "application/json" || m.media_type == "application/octet-stream") {
    // OCI allows omitting mediaType: decide by shape.
    m.media_type = std::string(j.contains("manifests") ? media_types::kOciIndex : media_types::kOciManifest);
  }
  if (m.media_type == media_types::kOciIndex || m.media_type == media_types::kDockerManifestList) {
    m.is_index = true;
    if (!j.contains("manifests") || !j["manifests"].is_array()) return fail_invalid("index has no manifests array");
    for (const auto& e : j["manifests"]) {
      auto d = parse_descriptor(e, "index entry");
      if (!d) return fail(d.error());
      m.manifests.push_back(std::move(*d));
    }
    return m;
  }
  if (m.media_type != media_types::kOciManifest && m.media_type != media_types::kDockerManifest)
    return fail_invalid("unsupported manifest media type \"" + m.media_type + "\"");
  if (!j.contains("config")) return fail_invalid("manifest has no config descriptor");
  auto cfg = parse_descriptor(j["config"], "config descriptor");
  if (!cfg) return fail(cfg.error());
  m.config = std::move(*cfg);
  if (!j.contains("layers") || !j["layers"].is_array()) return fail_invalid("manifest has no layers array");
  for (const auto& e : j["layers"]) {
    auto d = parse_descriptor(e, "layer descriptor");
    if (!d) return fail(d.error());
    m.layers.push_back(std::move(*d));
  }
  return m;
}

namespace {

// Larger is better; -1 = not usable.
int variant_score(const Platform& want, const std::string& have) {
  if (have == want.variant) return 3;
  if (have.empty()) return 2;
  if (want.variant.empty()) {
    // No preference: amd64 v1 or arm64 v8 baseline are the safe picks.
    if ((want.architecture == "arm64" && have == "v8") || (want.architecture == "amd64" && have == "v1")) return 3;
    return -1;
  }
  if (want.architecture == "arm" && want.variant.size() == 2 && have.size() == 2 && want.variant[0] == 'v' &&
      have[0] == 'v' && have[1] < want.variant[1])
    return 1;  // older arm variant: compatible
  return -1;
}

}  // namespace

Result<Descriptor> select_platform(const std::vector<Descriptor>& manifests, const Platform& want) {
  const Descriptor* best = nullptr;
  int best_score = -1;
  std::string offered;
  for (const auto& d : manifests) {
    if (!d.platform) continue;
    if (!offered.empty()) offered += ", ";
    offered += d.platform->str();
    if (d.platform->os != want.os || normalize_architecture(d.platform->architecture) != want.architecture) continue;
    int s = variant_score(want, d.platform->variant);
    if (s > best_score) {
      best_score = s;
      best = &d;
    }
  }
  if (!best)
    return fail_invalid("no manifest for platform " + want.str() + " in the image index (it offers: " +
                        (offered.empty() ? std::string("none") : offered) + ")");
  return *best;
}

}  // namespace ecsd::image
