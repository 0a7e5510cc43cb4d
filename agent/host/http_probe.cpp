#include "agent/host/http_probe.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>

namespace ecsd::host {

namespace {

size_t on_body(char* p, size_t size, size_t n, void* ud) {
  auto* r = static_cast<HttpReply*>(ud);
  size_t len = size * n;
  if (r->body.size() < 65536) r->body.append(p, std::min(len, 65536 - r->body.size()));
  return len;
}

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto* r = static_cast<HttpReply*>(ud);
  size_t len = size * n;
  std::string_view h(p, len);
  if (h.size() > 5 && strncasecmp(h.data(), "date:", 5) == 0) {
    h.remove_prefix(5);
    while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
    while (!h.empty() && (h.back() == '\r' || h.back() == '\n' || h.back() == ' ')) h.remove_suffix(1);
    r->date = std::string(h);
  }
  return len;
}

}  // namespace

Result<HttpReply> http_request(const std::string& method, const std::string& url,
                               const std::vector<std::string>& headers, long timeout_ms) {
  static const bool inited = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!inited) return fail_invalid("libcurl initialisation failed");
  std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
  if (!c) return fail_invalid("curl_easy_init failed");
  HttpReply r;
  curl_slist* hl = nullptr;
  for (const auto& h : headers) hl = curl_slist_append(hl, h.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> hguard(hl, curl_slist_free_all);
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(c.get(), CURLOPT_NOBODY, 1L);
  if (method == "PUT" || method == "POST") curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_NOPROXY, "169.254.169.254,127.0.0.1,localhost");
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, err);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK)
    return fail_invalid(method + " " + url + ": " + (err[0] ? std::string(err) : curl_easy_strerror(rc)));
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

}  // namespace ecsd::host
