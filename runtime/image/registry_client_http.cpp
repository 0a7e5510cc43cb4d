#include "runtime/image/registry_client_http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>

namespace ecsd::image {

namespace {

std::once_flag g_curl_init;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Transfer {
  HttpResponse* resp;
  const StreamHandler* handler;
  size_t max_body;
  bool started = false;
  bool too_large = false;
  std::optional<Error> handler_error;
  // Inactivity timeout: no byte moved for this long aborts the transfer.
  // (curl's LOW_SPEED_* averages over a window of several seconds, so a
  // transfer that stalls after a fast start would be noticed far too late.)
  std::chrono::steady_clock::duration inactivity{};
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  curl_off_t last_bytes = 0;
  bool stalled = false;
};

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal;
  (void)ultotal;
  auto* t = static_cast<Transfer*>(user);
  auto now = std::chrono::steady_clock::now();
  curl_off_t bytes = dlnow + ulnow;
  if (bytes != t->last_bytes) {
    t->last_bytes = bytes;
    t->last_activity = now;
    return 0;
  }
  if (now - t->last_activity >= t->inactivity) {
    t->stalled = true;
    return 1;  // abort: CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

size_t on_header(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(buf, len);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 100 Continue): start over.
    t->resp->headers.clear();
    auto sp = line.find(' ');
    t->resp->status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  t->resp->headers.emplace_back(lower(line.substr(0, colon)), std::string(value));
  return len;
}

size_t on_body(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long s = t->resp->status;
  bool ok = s >= 200 && s < 300;
  if (ok && t->handler) {
    if (!t->started) {
      t->started = true;
      if (t->handler->start) {
        if (auto st = t->handler->start(*t->resp); !st) {
          t->handler_error = st.error();
          return 0;
        }
      }
    }
    if (auto st = t->handler->data(buf, len); !st) {
      t->handler_error = st.error();
      return 0;
    }
    return len;
  }
  if (t->resp->body.size() + len > t->max_body) {
    if (ok) {
      t->too_large = true;
      return 0;
    }
    t->resp->body.append(buf, t->max_body - t->resp->body.size());
    return len;
  }
  t->resp->body.append(buf, len);
  return len;
}

}  // namespace

std::string curl_code_text(int code) { return curl_easy_strerror(static_cast<CURLcode>(code)); }

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (k == name) return v;
  return std::nullopt;
}

std::vector<std::string> HttpResponse::headers_named(std::string_view name) const {
  std::vector<std::string> out;
  for (auto& [k, v] : headers)
    if (k == name) out.push_back(v);
  return out;
}

struct HttpTransport::Shared {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];
  std::mutex pool_mu;
  std::vector<CURL*> pool;

  static void lock_cb(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Shared*>(user)->locks[data].lock();
  }
  static void unlock_cb(CURL*, curl_lock_data data, void* user) {
    static_cast<Shared*>(user)->locks[data].unlock();
  }

  Shared() {
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Shared::lock_cb);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Shared::unlock_cb);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  }
  ~Shared() {
    for (CURL* h : pool) curl_easy_cleanup(h);
    curl_share_cleanup(share);
  }
  CURL* acquire() {
    std::lock_guard lk(pool_mu);
    if (pool.empty()) return curl_easy_init();
    CURL* h = pool.back();
    pool.pop_back();
    return h;
  }
  void release(CURL* h) {
    curl_easy_reset(h);
    std::lock_guard lk(pool_mu);
    pool.push_back(h);
  }
};

HttpTransport::HttpTransport(TransportOptions opts) : opts_(std::move(opts)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  shared_ = std::make_unique<Shared>();
}

HttpTransport::~HttpTransport() = default;

Result<HttpResponse> HttpTransport::perform(const HttpRequest& req, const StreamHandler* handler, size_t max_body) {
  CURL* h = shared_->acquire();
  if (!h) return fail_invalid("curl_easy_init failed");
  struct Release {
    Shared* s;
    CURL* h;
    ~Release() { s->release(h); }
  } release{shared_.get(), h};

  HttpResponse resp;
  Transfer t{&resp, handler, max_body};
  char errbuf[CURL_ERROR_SIZE] = {0};

  std::unique_ptr<curl_slist, SlistFree> hdrs;
  for (auto& hd : req.headers) hdrs.reset(curl_slist_append(hdrs.release(), hd.c_str()));

  curl_easy_setopt(h, CURLOPT_SHARE, shared_->share);
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!opts_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts_.ca_file.c_str());
  if (!opts_.ca_path.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, opts_.ca_path.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, opts_.connect_timeout_s);
  t.inactivity = std::chrono::seconds(std::max(1L, opts_.low_speed_time_s));
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  // Streamed blobs: large reads mean fewer syscalls and fewer callbacks
  // (each chunk is hashed, written to the store and piped to the unpacker).
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, handler ? 256L * 1024 : 16L * 1024);
  curl_easy_setopt(h, CURLOPT_USERAGENT, opts_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  if (hdrs) curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs.get());
  std::string range;
  if (req.range_from >= 0) {
    range = std::to_string(req.range_from) + "-";
    curl_easy_setopt(h, CURLOPT_RANGE, range.c_str());
  }
  if (req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  } else if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  CURLcode rc = curl_easy_perform(h);
  char* eff = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) resp.effective_url = eff;
  long code = 0;
  if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code) resp.status = code;

  if (t.handler_error) return fail(*t.handler_error);
  if (t.too_large)
    return fail_invalid("response from " + req.url + " is larger than the limit of " + std::to_string(max_body) +
                        " bytes");
  if (rc == CURLE_ABORTED_BY_CALLBACK && t.stalled) {
    resp.curl_code = CURLE_OPERATION_TIMEDOUT;
    resp.curl_error = "no data for " + std::to_string(std::max(1L, opts_.low_speed_time_s)) +
                      " s (inactivity timeout) after " + std::to_string(static_cast<long long>(t.last_bytes)) +
                      " bytes";
  } else if (rc != CURLE_OK) {
    resp.curl_code = rc;
    resp.curl_error = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
  }
  if (rc == CURLE_OK && handler && !t.started && resp.status >= 200 && resp.status < 300 && handler->start) {
    // Empty 2xx body: still tell the handler the response started.
    t.started = true;
    if (auto st = handler->start(resp); !st) return fail(st.error());
  }
  return resp;
}

}  // namespace ecsd::image
