#include "runtime/image/digest.h"

#include <openssl/evp.h>

namespace ecsd::image {

namespace {
constexpr std::string_view kPrefix = "sha256:";

std::string to_hex(const unsigned char* p, unsigned n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}
}  // namespace

Status validate_digest(std::string_view digest) {
  auto colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return fail_invalid("invalid digest \"" + std::string(digest) + "\": expected algorithm:hex");
  std::string_view algo = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  if (algo != "sha256")
    return fail_invalid("unsupported digest algorithm \"" + std::string(algo) + "\" in \"" +
                        std::string(digest) + "\" (only sha256)");
  if (hex.size() != 64)
    return fail_invalid("invalid digest \"" + std::string(digest) + "\": sha256 needs 64 hex characters");
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return fail_invalid("invalid digest \"" + std::string(digest) + "\": not lowercase hex");
  return {};
}

std::string_view digest_hex(std::string_view digest) {
  auto colon = digest.find(':');
  return colon == std::string_view::npos ? digest : digest.substr(colon + 1);
}

std::string sha256_digest(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.digest();
}

void Sha256::Free::operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::reset() {
  if (!ctx_) ctx_.reset(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
}

void Sha256::update(const void* data, size_t len) {
  if (len) EVP_DigestUpdate(ctx_.get(), data, len);
}

std::string Sha256::digest() const {
  std::unique_ptr<EVP_MD_CTX, Free> copy(EVP_MD_CTX_new());
  EVP_MD_CTX_copy_ex(copy.get(), ctx_.get());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(copy.get(), md, &n);
  return std::string(kPrefix) + to_hex(md, n);
}

}  // namespace ecsd::image
