// Docker schema 2 and OCI image manifests, Docker manifest lists and OCI
// indexes; platform selection from a list. Pure parsing, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

namespace media_types {
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
}  // namespace media_types

// The Accept header value for manifest requests (all four supported types).
std::string manifest_accept_header();

// Limits on what is read from a registry into memory.
inline constexpr size_t kMaxManifestBytes = 4 * 1024 * 1024;
inline constexpr size_t kMaxConfigBytes = 8 * 1024 * 1024;

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64", "arm"
  std::string variant;       // "v8", "v7" or empty
  std::string str() const;   // "linux/arm64/v8"
};

// This machine's platform (uname), with Go/OCI architecture names.
Platform host_platform();
// "linux/amd64", "linux/arm64/v8", "linux/arm/v7"; architecture aliases
// (x86_64, aarch64) are normalised.
Result<Platform> parse_platform(std::string_view text);
std::string normalize_architecture(std::string_view arch);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::optional<Platform> platform;  // only in lists / indexes
};

struct ParsedManifest {
  bool is_index = false;
  std::string media_type;
  // For image manifests:
  Descriptor config;
  std::vector<Descriptor> layers;
  // For lists / indexes:
  std::vector<Descriptor> manifests;
};

// content_type: the response's Content-Type (used when the body has no
// mediaType field). Schema 1 manifests are rejected with a clear error.
Result<ParsedManifest> parse_manifest(std::string_view body, std::string_view content_type);

// The best entry of an index for `want`: os and architecture must match; for
// the variant, an exact match beats an entry without variant, which beats a
// compatible older variant (arm v7 host runs v6 and v5). Errors list what the
// index offers.
Result<Descriptor> select_platform(const std::vector<Descriptor>& manifests, const Platform& want);

}  // namespace ecsd::image
