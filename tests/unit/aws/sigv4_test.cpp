// SigV4 against botocore's signer: botocore_sign.py generates random requests
// (methods, paths with dot segments, encoded queries, headers with runs of
// spaces, bodies, session tokens, regions, services, times) and signs them;
// we sign the same requests and must produce the same canonical request,
// Authorization header and presigned URL.
#include <cstdio>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/aws/crypto.h"
#include "agent/aws/sigv4.h"
#include "agent/aws/url.h"

using namespace ecsd::aws;

namespace {

nlohmann::json botocore_cases(int count, int seed) {
  std::string cmd = std::string("python3 ") + ECSD_SOURCE_DIR + "/tests/unit/aws/botocore_sign.py " +
                    std::to_string(count) + " " + std::to_string(seed);
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return nlohmann::json::parse(out);
}

HttpRequest request_of(const nlohmann::json& c, const char* headers_key) {
  HttpRequest r;
  r.method = c["method"];
  r.url = c["url"];
  for (const auto& h : c[headers_key]) r.headers.emplace_back(h[0], h[1]);
  return r;
}

Credentials creds_of(const nlohmann::json& c) {
  Credentials cr;
  cr.access_key_id = c["credentials"]["access_key_id"];
  cr.secret_access_key = c["credentials"]["secret_access_key"];
  cr.session_token = c["credentials"]["session_token"];
  return cr;
}

}  // namespace

TEST(SigV4, MatchesBotocoreOnGeneratedRequests) {
  auto cases = botocore_cases(400, 20261201);
  ASSERT_EQ(cases.size(), 400u);
  int checked = 0;
  for (const auto& c : cases) {
    HttpRequest r = request_of(c, "headers");
    r.body = c["body"];
    SigningParams p{c["region"], c["service"], std::chrono::system_clock::from_time_t(c["epoch"].get<time_t>())};
    Credentials cr = creds_of(c);
    ASSERT_TRUE(sign_request(r, cr, p));
    ASSERT_NE(r.header("X-Amz-Date"), nullptr);
    EXPECT_EQ(*r.header("X-Amz-Date"), c["x_amz_date"].get<std::string>());
    HttpRequest no_auth = r;
    no_auth.remove_header("Authorization");
    EXPECT_EQ(*canonical_request(no_auth), c["canonical_request"].get<std::string>()) << c["url"];
    EXPECT_EQ(*r.header("Authorization"), c["authorization"].get<std::string>()) << c["url"];
    if (!cr.session_token.empty()) {
      EXPECT_EQ(*r.header("X-Amz-Security-Token"), cr.session_token);
    }

    HttpRequest pr = request_of(c, "presign_headers");
    auto url = presign_url(pr, cr, p, 900);
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(*url, c["presigned_url"].get<std::string>());
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

// The AWS documentation's example (GET ListUsers on IAM).
TEST(SigV4, AwsDocumentationExample) {
  HttpRequest r;
  r.method = "GET";
  r.url = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  Credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt, ""};
  SigningParams p{"us-east-1", "iam", std::chrono::system_clock::from_time_t(1440938160)};  // 20150830T123600Z
  ASSERT_TRUE(sign_request(r, c, p));
  EXPECT_EQ(*r.header("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, NoCredentialsIsAnError) {
  HttpRequest r;
  r.url = "https://ecs.us-east-1.amazonaws.com/";
  auto s = sign_request(r, Credentials{}, SigningParams{"us-east-1", "ecs"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("no AWS credentials"), std::string::npos);
}

TEST(Url, Parses) {
  auto u = parse_url("HTTPS://User@Ecs.Example.com:8443/a/b?x=1&y=%2F#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "ecs.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/a/b");
  EXPECT_EQ(u->query, "x=1&y=%2F");
  EXPECT_EQ(u->host_header(), "ecs.example.com:8443");
  auto v = parse_url("wss://[::1]:443/ws");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->host_header(), "[::1]");
  EXPECT_FALSE(parse_url("no-scheme/path"));
  EXPECT_FALSE(parse_url("http://host:99999/"));
}

TEST(Crypto, EncodingsRoundTrip) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(base64_encode("signature"), "c2lnbmF0dXJl");
  EXPECT_EQ(base64_decode("c2lnbmF0dXJl"), "signature");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_EQ(uri_encode("a b/c~"), "a%20b%2Fc~");
  EXPECT_EQ(uri_encode("a b/c", "/"), "a%20b/c");
  EXPECT_EQ(uri_decode("a%20b%2Fc"), "a b/c");
}
