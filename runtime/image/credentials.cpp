#include "runtime/image/credentials.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "runtime/image/reference.h"

namespace ecsd::image {

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  std::string in;
  for (char c : text)
    if (c != '\n' && c != '\r' && c != ' ') in.push_back(c);
  if (in.size() % 4 != 0) return fail_invalid("invalid base64 (length not a multiple of 4)");
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return fail_invalid("invalid base64");
  size_t len = static_cast<size_t>(n);
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() > 1 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

void StaticCredentialProvider::set(std::string host, Credentials creds) {
  std::lock_guard lk(mu_);
  creds_[normalize_registry_host(host)] = std::move(creds);
}

Result<std::optional<Credentials>> StaticCredentialProvider::get(std::string_view host) {
  std::lock_guard lk(mu_);
  auto it = creds_.find(normalize_registry_host(host));
  if (it == creds_.end()) return std::optional<Credentials>();
  return std::optional<Credentials>(it->second);
}

Result<std::optional<Credentials>> credentials_from_docker_config(std::string_view text, std::string_view host) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_invalid("not a JSON object");
  if (!j.contains("auths") || !j["auths"].is_object()) return std::optional<Credentials>();
  std::string want = normalize_registry_host(host);
  for (auto& [key, entry] : j["auths"].items()) {
    if (normalize_registry_host(key) != want || !entry.is_object()) continue;
    Credentials c;
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string())
      c.identity_token = entry["identitytoken"].get<std::string>();
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
      auto dec = base64_decode(entry["auth"].get<std::string>());
      if (!dec) return fail(dec.error().with_context("auth for " + key));
      auto colon = dec->find(':');
      if (colon == std::string::npos) return fail_invalid("auth for " + key + " is not base64(user:password)");
      c.username = dec->substr(0, colon);
      c.password = dec->substr(colon + 1);
    } else {
      if (entry.contains("username") && entry["username"].is_string()) c.username = entry["username"].get<std::string>();
      if (entry.contains("password") && entry["password"].is_string()) c.password = entry["password"].get<std::string>();
    }
    if (c.username.empty() && c.identity_token.empty()) continue;
    return std::optional<Credentials>(c);
  }
  return std::optional<Credentials>();
}

Result<std::optional<Credentials>> FileCredentialProvider::get(std::string_view host) {
  if (::access(path_.c_str(), F_OK) != 0) return std::optional<Credentials>();
  auto text = read_file(path_);
  if (!text) return fail(text.error());
  auto r = credentials_from_docker_config(*text, host);
  if (!r) return fail(r.error().with_context("reading credentials from " + path_));
  return r;
}

Result<std::optional<Credentials>> ChainCredentialProvider::get(std::string_view host) {
  for (auto& p : providers_) {
    auto r = p->get(host);
    if (!r) return r;
    if (*r) return r;
  }
  return std::optional<Credentials>();
}

}  // namespace ecsd::image
