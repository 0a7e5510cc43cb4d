// Image references with Docker's normalisation rules:
//   busybox                  -> docker.io/library/busybox:latest
//   user/app:1.2             -> docker.io/user/app:1.2
//   127.0.0.1:5000/app       -> 127.0.0.1:5000/app:latest
//   app:1@sha256:<hex>       -> tag kept for display, the digest is what is pulled
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace ecsd::image {

// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]
struct EcrRegistry {
  std::string account;
  std::string region;
  bool fips = false;
};
std::optional<EcrRegistry> parse_ecr_host(std::string_view host);

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // empty only when a digest is given without a tag
  std::string digest;  // "sha256:<hex>" or empty

  // domain/path
  std::string name() const;
  // name:tag@digest, name@digest or name:tag
  std::string str() const;
  // What a pull asks the registry for: the digest when present, else the tag.
  std::string manifest_ref() const { return digest.empty() ? tag : digest; }
  // Host[:port] to connect to: registry-1.docker.io for docker.io.
  std::string registry_host() const;
  // Host without port (for matching insecure lists, loopback checks).
  std::string host_only() const;
  std::optional<EcrRegistry> ecr() const { return parse_ecr_host(host_only()); }
};

Result<Reference> parse_reference(std::string_view text);

// Normalise a registry host as a user types it (docker.io and
// index.docker.io -> docker.io; https:// prefix and trailing / removed).
std::string normalize_registry_host(std::string_view host);

// True for localhost, 127.0.0.0/8 and ::1 (with or without a port).
bool is_loopback_host(std::string_view host_port);

}  // namespace ecsd::image
