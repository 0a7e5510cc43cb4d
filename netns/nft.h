// A libnftables context that runs rule scripts and reports nft's own error text.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

struct nft_ctx;

namespace ecsd::netns {

class Nft {
 public:
  static Result<Nft> create();
  Nft(Nft&& o) noexcept;
  Nft& operator=(Nft&& o) noexcept;
  Nft(const Nft&) = delete;
  Nft& operator=(const Nft&) = delete;
  ~Nft();

  // Runs the script as one transaction (all or nothing).
  Status run(const std::string& script, std::string_view what);
  // Runs a command and returns its output (e.g. "list table ip ecsd").
  Result<std::string> query(const std::string& command);

 private:
  explicit Nft(nft_ctx* c) : ctx_(c) {}
  nft_ctx* ctx_ = nullptr;
};

}  // namespace ecsd::netns
