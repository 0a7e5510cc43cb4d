// The credential chain, in the Go SDK's order: environment
// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN), the shared
// credentials and config files with profiles (AWS_PROFILE,
// AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, ~/.aws/...), then the instance
// profile from IMDSv2. Temporary credentials are cached and refreshed
// `refresh_window` before they expire (5 minutes by default), or at once after
// invalidate() (a service said the token expired).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/aws/imds.h"
#include "agent/aws/sigv4.h"
#include "common/error.h"

namespace ecsd::aws {

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual Result<Credentials> retrieve() = 0;
  virtual std::string name() const = 0;
};

// An INI file as the AWS tools write it: section -> key -> value.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile parse_ini(std::string_view text);

// "2026-12-01T20:00:00Z" (fractional seconds allowed) -> time point.
Result<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s);

class EnvironmentProvider : public CredentialsProvider {
 public:
  Result<Credentials> retrieve() override;
  std::string name() const override { return "env"; }
};

class SharedFilesProvider : public CredentialsProvider {
 public:
  // Empty arguments: from the environment (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE,
  // AWS_CONFIG_FILE) with the usual defaults.
  SharedFilesProvider(std::string profile = "", std::string credentials_file = "", std::string config_file = "");
  Result<Credentials> retrieve() override;
  std::string name() const override { return "shared-files"; }
  const std::string& profile() const { return profile_; }
  // The profile's region from the config file ("" when none).
  std::string region();

 private:
  std::string profile_, credentials_file_, config_file_;
};

class InstanceProfileProvider : public CredentialsProvider {
 public:
  explicit InstanceProfileProvider(std::shared_ptr<ImdsClient> imds) : imds_(std::move(imds)) {}
  Result<Credentials> retrieve() override;
  std::string name() const override { return "instance-profile"; }

 private:
  std::shared_ptr<ImdsClient> imds_;
};

class StaticProvider : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials c) : c_(std::move(c)) {}
  Result<Credentials> retrieve() override { return c_; }
  std::string name() const override { return "static"; }

 private:
  Credentials c_;
};

class CredentialsChain {
 public:
  explicit CredentialsChain(std::vector<std::unique_ptr<CredentialsProvider>> providers,
                            std::chrono::seconds refresh_window = std::chrono::seconds(300));
  // env, shared files, instance profile (IMDS from the environment).
  static std::shared_ptr<CredentialsChain> default_chain(std::shared_ptr<ImdsClient> imds = nullptr);

  // Cached credentials, refreshed when they expire within the refresh window.
  Result<Credentials> get();
  void invalidate();
  int retrievals() const { return retrievals_; }

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
  std::chrono::seconds window_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
  int retrievals_ = 0;
};

}  // namespace ecsd::aws
