#include "agent/acs/session.h"

// spdlog (fmt) before cpprestsdk: cpprest defines a macro U() that breaks
// fmt's templates when they are parsed after it.
#include <spdlog/spdlog.h>

#include <cpprest/ws_client.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <random>

#include "agent/aws/sigv4.h"

namespace ecsd::acs {

namespace ws = web::websockets::client;

void init_cpprest_threadpool(size_t threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    try {
      crossplat::threadpool::initialize_with_threads(threads);
    } catch (const std::exception& e) {
      spdlog::debug("cpprestsdk thread pool already initialized: {}", e.what());
    }
  });
}

Session::Session(SessionOptions options, SessionHandler& handler)
    : opts_(std::move(options)), handler_(handler), protocol_(opts_.cluster, opts_.container_instance_arn, handler) {
  protocol_.set_seq_num(opts_.initial_seq_num);
  init_cpprest_threadpool();
}

Session::~Session() { stop(); }

void Session::stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

SessionStatus Session::status() const {
  std::lock_guard lock(mu_);
  SessionStatus s = status_;
  s.payloads = protocol_.payloads();
  s.seq_num = protocol_.seq_num();
  return s;
}

void Session::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stopping_; });
}

void Session::run() {
  std::mt19937_64 rng{std::random_device{}()};
  double backoff = static_cast<double>(opts_.backoff_min.count());
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto started = std::chrono::steady_clock::now();
    End end = connect_and_serve();
    if (end == End::stopped) return;
    auto lasted = std::chrono::steady_clock::now() - started;
    if (lasted > opts_.heartbeat_timeout) backoff = static_cast<double>(opts_.backoff_min.count());
    std::chrono::milliseconds delay{0};
    if (end == End::inactive) {
      delay = opts_.inactive_delay;
    } else if (end == End::reconnect) {
      delay = opts_.backoff_min;
    } else {
      std::uniform_real_distribution<double> jitter(0.8, 1.2);
      delay = std::chrono::milliseconds(static_cast<int64_t>(backoff * jitter(rng)));
      backoff = std::min(backoff * 2, static_cast<double>(opts_.backoff_max.count()));
    }
    if (end == End::failed && opts_.invalidate_endpoint) opts_.invalidate_endpoint();
    spdlog::info("acs: reconnecting in {} ms", delay.count());
    wait_for(delay);
  }
}

Session::End Session::connect_and_serve() {
  auto ep = opts_.discover ? opts_.discover() : ecs::ApiResult<ecs::PollEndpoints>(std::unexpected(ecs::ApiError{}));
  auto fail_with = [&](const std::string& msg) {
    std::lock_guard lock(mu_);
    status_.last_error = msg;
    ++status_.failures;
    spdlog::warn("acs: {}", msg);
    return End::failed;
  };
  if (!ep) return fail_with("discovering the ACS endpoint: " + ep.error().str());
  std::string url = acs_url(ep->acs, opts_.cluster, opts_.container_instance_arn, opts_.agent_version,
                            opts_.agent_hash, opts_.docker_version, protocol_.seq_num(), opts_.send_credentials);
  auto creds = opts_.credentials->get();
  if (!creds) return fail_with(creds.error().message);
  aws::HttpRequest req;
  req.method = "GET";
  req.url = url;
  auto signed_ok = aws::sign_request(req, *creds, aws::SigningParams{opts_.region, "ecs"});
  if (!signed_ok) return fail_with(signed_ok.error().message);

  ws::websocket_client_config cfg;
  for (const auto& [k, v] : req.headers) cfg.headers().add(k, v);
  ws::websocket_callback_client client(cfg);

  // Incoming frames and the close event are queued to this thread.
  struct Inbox {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::string> frames;
    bool closed = false;
    std::string close_reason;
  };
  auto inbox = std::make_shared<Inbox>();
  client.set_message_handler([inbox](const ws::websocket_incoming_message& m) {
    if (m.message_type() != ws::websocket_message_type::text_message) return;
    std::string text;
    try {
      text = m.extract_string().get();
    } catch (...) {
      return;
    }
    std::lock_guard lock(inbox->mu);
    inbox->frames.push_back(std::move(text));
    inbox->cv.notify_all();
  });
  client.set_close_handler([inbox](ws::websocket_close_status st, const utility::string_t& reason,
                                   const std::error_code& ec) {
    std::lock_guard lock(inbox->mu);
    inbox->closed = true;
    inbox->close_reason = "close status " + std::to_string(static_cast<int>(st)) +
                          (reason.empty() ? "" : " " + reason) + (ec ? " (" + ec.message() + ")" : "");
    inbox->cv.notify_all();
  });
  try {
    client.connect(web::uri(url)).wait();
  } catch (const std::exception& e) {
    return fail_with(std::string("connecting to ") + ep->acs + ": " + e.what());
  }
  {
    std::lock_guard lock(mu_);
    status_.connected = true;
    ++status_.connections;
    status_.last_error.clear();
  }
  spdlog::info("acs: connected to {}", ep->acs);

  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> jd(0, std::max<int64_t>(opts_.heartbeat_jitter.count(), 0));
  auto deadline = std::chrono::steady_clock::now() + opts_.heartbeat_timeout + std::chrono::milliseconds(jd(rng));
  End end = End::dropped;
  for (;;) {
    std::deque<std::string> batch;
    bool closed = false;
    std::string reason;
    {
      std::unique_lock lock(inbox->mu);
      // Bounded waits so stop() is noticed within a quarter second.
      auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(250));
      inbox->cv.wait_until(lock, until, [&] { return !inbox->frames.empty() || inbox->closed; });
      batch.swap(inbox->frames);
      closed = inbox->closed;
      reason = inbox->close_reason;
    }
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        end = End::stopped;
        break;
      }
    }
    bool leave = false;
    for (const auto& f : batch) {
      deadline = std::chrono::steady_clock::now() + opts_.heartbeat_timeout + std::chrono::milliseconds(jd(rng));
      Outcome o = protocol_.handle(f);
      if (!o.note.empty()) spdlog::debug("acs: {}", o.note);
      for (const auto& r : o.replies) {
        ws::websocket_outgoing_message m;
        m.set_utf8_message(r);
        try {
          client.send(m).wait();
        } catch (const std::exception& e) {
          spdlog::warn("acs: send failed: {}", e.what());
          leave = true;
          break;
        }
      }
      if (o.next != Next::stay) {
        spdlog::info("acs: {}", o.note);
        end = o.next == Next::reconnect ? End::reconnect : o.next == Next::inactive ? End::inactive : End::backoff;
        leave = true;
      }
      if (leave) break;
    }
    if (leave) break;
    if (closed) {
      spdlog::warn("acs: connection closed: {}", reason);
      end = End::dropped;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::warn("acs: no message within the heartbeat timeout; reconnecting");
      end = End::dropped;
      break;
    }
  }
  try {
    client.close().wait();
  } catch (...) {
  }
  std::lock_guard lock(mu_);
  status_.connected = false;
  return end;
}

}  // namespace ecsd::acs
