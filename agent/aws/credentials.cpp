#include "agent/aws/credentials.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace ecsd::aws {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string home_dir() {
  std::string h = env("HOME");
  return h.empty() ? "/root" : h;
}

}  // namespace

IniFile parse_ini(std::string_view text) {
  IniFile out;
  std::string section;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(trim(line.substr(1, line.size() - 2)));
      out[section];
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos || section.empty()) continue;
    out[section][std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  return out;
}

Result<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return fail_invalid("invalid timestamp \"" + str + "\"");
  while (*end == '.' || (*end >= '0' && *end <= '9')) ++end;
  if (*end != 'Z' && *end != '\0' && std::string(end) != "+00:00")
    return fail_invalid("invalid timestamp \"" + str + "\": only UTC is supported");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Result<Credentials> EnvironmentProvider::retrieve() {
  Credentials c;
  c.access_key_id = env("AWS_ACCESS_KEY_ID");
  if (c.access_key_id.empty()) c.access_key_id = env("AWS_ACCESS_KEY");
  c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  if (c.secret_access_key.empty()) c.secret_access_key = env("AWS_SECRET_KEY");
  c.session_token = env("AWS_SESSION_TOKEN");
  c.source = "env";
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return fail_invalid("environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set");
  return c;
}

SharedFilesProvider::SharedFilesProvider(std::string profile, std::string credentials_file, std::string config_file)
    : profile_(std::move(profile)), credentials_file_(std::move(credentials_file)), config_file_(std::move(config_file)) {
  if (profile_.empty()) profile_ = env("AWS_PROFILE");
  if (profile_.empty()) profile_ = env("AWS_DEFAULT_PROFILE");
  if (profile_.empty()) profile_ = "default";
  if (credentials_file_.empty()) credentials_file_ = env("AWS_SHARED_CREDENTIALS_FILE");
  if (credentials_file_.empty()) credentials_file_ = home_dir() + "/.aws/credentials";
  if (config_file_.empty()) config_file_ = env("AWS_CONFIG_FILE");
  if (config_file_.empty()) config_file_ = home_dir() + "/.aws/config";
}

Result<Credentials> SharedFilesProvider::retrieve() {
  // The credentials file names sections by profile; the config file uses
  // "profile NAME" except for "default". Credentials file wins.
  std::vector<std::pair<std::string, std::string>> places = {
      {credentials_file_, profile_},
      {config_file_, profile_ == "default" ? "default" : "profile " + profile_}};
  for (const auto& [path, section] : places) {
    if (::access(path.c_str(), R_OK) != 0) continue;
    auto text = read_file(path);
    if (!text) continue;
    auto ini = parse_ini(*text);
    auto it = ini.find(section);
    if (it == ini.end()) continue;
    const auto& kv = it->second;
    auto get = [&](const char* k) { return kv.count(k) ? kv.at(k) : std::string(); };
    Credentials c;
    c.access_key_id = get("aws_access_key_id");
    c.secret_access_key = get("aws_secret_access_key");
    c.session_token = get("aws_session_token");
    if (c.access_key_id.empty() || c.secret_access_key.empty()) continue;
    c.source = path + " [" + section + "]";
    return c;
  }
  return fail_invalid("shared credentials: no keys for profile \"" + profile_ + "\" in " + credentials_file_ + " or " +
                      config_file_);
}

std::string SharedFilesProvider::region() {
  auto text = read_file(config_file_);
  if (!text) return "";
  auto ini = parse_ini(*text);
  auto it = ini.find(profile_ == "default" ? "default" : "profile " + profile_);
  if (it == ini.end() || !it->second.count("region")) return "";
  return it->second.at("region");
}

Result<Credentials> InstanceProfileProvider::retrieve() {
  if (!imds_) return fail_invalid("instance profile: no IMDS client");
  auto roles = imds_->get("meta-data/iam/security-credentials/");
  if (!roles) return fail(roles.error().with_context("instance profile"));
  std::string role(trim(*roles));
  if (auto nl = role.find('\n'); nl != std::string::npos) role = role.substr(0, nl);
  if (role.empty()) return fail_invalid("instance profile: no IAM role attached to the instance");
  auto body = imds_->get("meta-data/iam/security-credentials/" + role);
  if (!body) return fail(body.error().with_context("instance profile role " + role));
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("instance profile role " + role + ": not JSON");
  if (j.value("Code", "Success") != "Success")
    return fail_invalid("instance profile role " + role + ": " + j.value("Code", "") + " " + j.value("Message", ""));
  Credentials c;
  c.access_key_id = j.value("AccessKeyId", "");
  c.secret_access_key = j.value("SecretAccessKey", "");
  c.session_token = j.value("Token", "");
  c.source = "instance-profile:" + role;
  if (j.contains("Expiration") && j["Expiration"].is_string()) {
    auto t = parse_iso8601(j["Expiration"].get<std::string>());
    if (!t) return fail(t.error().with_context("instance profile role " + role + " Expiration"));
    c.expiration = *t;
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return fail_invalid("instance profile role " + role + ": no AccessKeyId/SecretAccessKey");
  return c;
}

CredentialsChain::CredentialsChain(std::vector<std::unique_ptr<CredentialsProvider>> providers,
                                   std::chrono::seconds refresh_window)
    : providers_(std::move(providers)), window_(refresh_window) {}

std::shared_ptr<CredentialsChain> CredentialsChain::default_chain(std::shared_ptr<ImdsClient> imds) {
  if (!imds) imds = std::make_shared<ImdsClient>();
  std::vector<std::unique_ptr<CredentialsProvider>> p;
  p.push_back(std::make_unique<EnvironmentProvider>());
  p.push_back(std::make_unique<SharedFilesProvider>());
  p.push_back(std::make_unique<InstanceProfileProvider>(std::move(imds)));
  return std::make_shared<CredentialsChain>(std::move(p));
}

Result<Credentials> CredentialsChain::get() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::system_clock::now();
  if (cached_ && (!cached_->expiration || *cached_->expiration - window_ > now)) return *cached_;
  std::string errors;
  for (auto& p : providers_) {
    auto c = p->retrieve();
    if (c) {
      ++retrievals_;
      cached_ = *c;
      return *c;
    }
    errors += (errors.empty() ? "" : "; ") + c.error().message;
  }
  // Still-valid credentials inside the refresh window are better than none.
  if (cached_ && cached_->expiration && *cached_->expiration > now) return *cached_;
  return fail_invalid("no AWS credentials: " + errors);
}

void CredentialsChain::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

}  // namespace ecsd::aws
