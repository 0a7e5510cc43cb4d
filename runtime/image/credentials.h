// Where registry credentials come from, per registry host. Providers are
// pluggable: a static map and a Docker-style config.json file here; cloud
// providers (e.g. a registry token service) implement the same interface.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ecsd::image {

struct Credentials {
  std::string username;
  std::string password;
  // OAuth2 refresh token for the Bearer flow ("identitytoken" in
  // config.json). When set, username/password are not sent.
  std::string identity_token;
};

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // host: registry host[:port] as in the reference ("docker.io",
  // "127.0.0.1:5000"). nullopt = anonymous.
  virtual Result<std::optional<Credentials>> get(std::string_view host) = 0;
};

class StaticCredentialProvider : public CredentialProvider {
 public:
  void set(std::string host, Credentials creds);
  Result<std::optional<Credentials>> get(std::string_view host) override;

 private:
  std::mutex mu_;
  std::map<std::string, Credentials> creds_;
};

// Reads {"auths": {"<host>": {"auth": base64("user:pass")} | {"username",
// "password"} | {"identitytoken"}}} (the Docker config.json shape). Hosts
// may be written with a scheme or path ("https://index.docker.io/v1/").
class FileCredentialProvider : public CredentialProvider {
 public:
  explicit FileCredentialProvider(std::string path) : path_(std::move(path)) {}
  Result<std::optional<Credentials>> get(std::string_view host) override;

 private:
  std::string path_;
};

// Asks each provider in turn; the first that has credentials wins.
class ChainCredentialProvider : public CredentialProvider {
 public:
  void add(std::shared_ptr<CredentialProvider> p) { providers_.push_back(std::move(p)); }
  Result<std::optional<Credentials>> get(std::string_view host) override;

 private:
  std::vector<std::shared_ptr<CredentialProvider>> providers_;
};

// Parses the config.json text; exposed for tests.
Result<std::optional<Credentials>> credentials_from_docker_config(std::string_view json, std::string_view host);

std::string base64_encode(std::string_view data);
Result<std::string> base64_decode(std::string_view text);

}  // namespace ecsd::image
