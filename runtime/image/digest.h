// Content digests ("sha256:<64 lowercase hex>") and streaming SHA-256.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace ecsd::image {

// Accepts only sha256 digests with 64 lowercase hex characters.
Status validate_digest(std::string_view digest);
// The hex part of a valid digest.
std::string_view digest_hex(std::string_view digest);
// "sha256:<hex>" of data.
std::string sha256_digest(std::string_view data);

class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();
  void update(const void* data, size_t len);
  // "sha256:<hex>" of everything so far; the hash can continue afterwards.
  std::string digest() const;
  void reset();

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const;
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

}  // namespace ecsd::image
