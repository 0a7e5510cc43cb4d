// Hashes and encodings SigV4 needs (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace ecsd::aws {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hex(std::string_view raw);
std::string base64_encode(std::string_view raw);
std::string base64_decode(std::string_view text);  // "" on malformed input
// RFC 3986 percent-encoding: unreserved (A-Z a-z 0-9 - _ . ~) and the bytes in
// `safe` stay, everything else becomes %XX (upper-case hex).
std::string uri_encode(std::string_view s, std::string_view safe = "");
std::string uri_decode(std::string_view s);

}  // namespace ecsd::aws
