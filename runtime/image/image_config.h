// The parts of an OCI / Docker image config (application/vnd.oci.image.config.v1+json)
// that running a container needs. Pure parsing; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

struct ImageHealthcheck {
  std::vector<std::string> test;  // ["CMD-SHELL", "curl ..."], ["NONE"], ...
  std::int64_t interval_ns = 0;   // 0 = inherit / default
  std::int64_t timeout_ns = 0;
  std::int64_t start_period_ns = 0;
  std::int64_t start_interval_ns = 0;
  int retries = 0;
};

struct ImageConfig {
  std::string os;            // "linux"
  std::string architecture;  // "amd64"
  std::string variant;       // "v8" or ""
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value", in order
  std::string user;
  std::string working_dir;
  std::vector<std::string> exposed_ports;  // "80/tcp", sorted
  std::vector<std::string> volumes;        // sorted
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<ImageHealthcheck> healthcheck;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, base layer first
};

// Parses a config blob. Missing "config" is fine (an image with no defaults);
// a rootfs that is not {"type":"layers","diff_ids":[...]} with valid sha256
// digests is an error.
Result<ImageConfig> parse_image_config(std::string_view json);

}  // namespace ecsd::image
