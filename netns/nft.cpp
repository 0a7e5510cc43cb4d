#include "netns/nft.h"

#include <nftables/libnftables.h>

#include <utility>

namespace ecsd::netns {

Result<Nft> Nft::create() {
  nft_ctx* c = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!c) return fail_invalid("nftables: cannot create a libnftables context");
  nft_ctx_buffer_output(c);
  nft_ctx_buffer_error(c);
  return Nft(c);
}

Nft::Nft(Nft&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
Nft& Nft::operator=(Nft&& o) noexcept {
  if (this != &o) {
    if (ctx_) nft_ctx_free(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
  }
  return *this;
}
Nft::~Nft() {
  if (ctx_) nft_ctx_free(ctx_);
}

Status Nft::run(const std::string& script, std::string_view what) {
  int rc = nft_run_cmd_from_buffer(ctx_, script.c_str());
  const char* err = nft_ctx_get_error_buffer(ctx_);
  nft_ctx_get_output_buffer(ctx_);  // drain
  if (rc != 0) {
    std::string m = "nftables: " + std::string(what) + " failed";
    if (err && *err) m += ": " + std::string(err);
    while (!m.empty() && m.back() == '\n') m.pop_back();
    return fail_invalid(std::move(m));
  }
  return {};
}

Result<std::string> Nft::query(const std::string& command) {
  int rc = nft_run_cmd_from_buffer(ctx_, command.c_str());
  std::string out = nft_ctx_get_output_buffer(ctx_);
  std::string err = nft_ctx_get_error_buffer(ctx_);
  if (rc != 0) return fail_invalid("nftables: '" + command + "' failed: " + err);
  return out;
}

}  // namespace ecsd::netns
