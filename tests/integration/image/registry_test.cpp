// Pulls from real docker-registry instances: plain http, TLS with a test CA,
// htpasswd Basic auth, Bearer tokens from the tests' own issuer, a manifest
// list; unpacked trees compared with umoci's.
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/integration/image/support.h"

namespace ecsd::image_test {
namespace {

class ImageRegistry : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::geteuid(), 0u) << "the image integration suite must run as root"; }
  TempDir tmp;
  std::string data = tmp / "data";
};

TEST_F(ImageRegistry, PlainHttpPullListUnpackRemove) {
  Registry reg(tmp / "reg");
  push_busybox(reg.addr());
  std::string ref = reg.addr() + "/ecsd-test/busybox:latest";

  auto pull = ecsd(data, "image pull " + ref);
  ASSERT_EQ(pull.rc, 0) << pull.err;
  EXPECT_EQ(pull.out.rfind("pulled " + ref + " sha256:", 0), 0u) << pull.out;
  EXPECT_EQ(store_problems(data), "");

  auto ls = ecsd(data, "image ls");
  ASSERT_EQ(ls.rc, 0) << ls.err;
  EXPECT_NE(ls.out.find(ref), std::string::npos) << ls.out;

  auto un = ecsd(data, "image unpack " + ref + " " + (tmp / "rootfs"));
  ASSERT_EQ(un.rc, 0) << un.err;
  EXPECT_EQ(::access((tmp / "rootfs/bin/busybox").c_str(), X_OK), 0);
  EXPECT_EQ(read_text(tmp / "rootfs/etc/rootfs-marker"), "ecsd-test-rootfs\n");
  // Unpacking a cached image does not download again.
  EXPECT_NE(un.err.find("already present"), std::string::npos) << un.err;

  auto rm = ecsd(data, "image rm " + ref);
  ASSERT_EQ(rm.rc, 0) << rm.err;
  ls = ecsd(data, "image ls");
  EXPECT_EQ(ls.out.find(ref), std::string::npos) << ls.out;
  EXPECT_TRUE(blob_names(data).empty());
  EXPECT_TRUE(layer_names(data).empty());
  EXPECT_EQ(store_problems(data), "");
}

TEST_F(ImageRegistry, BadReferenceAndMissingRepository) {
  auto bad = ecsd(data, "image pull 'library/BusyBox:tag'");
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.err.find("library/BusyBox"), std::string::npos) << bad.err;
  EXPECT_TRUE(blob_names(data).empty());

  Registry reg(tmp / "reg");
  auto missing = ecsd(data, "image pull --retries 0 " + reg.addr() + "/no/such:thing");
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
  EXPECT_TRUE(blob_names(data).empty());
}

// `ecsd image unpack` and `umoci unpack` of the same image give the same tree.
class UnpackVsUmoci : public ImageRegistry, public ::testing::WithParamInterface<const char*> {};

TEST_P(UnpackVsUmoci, SameTree) {
  std::string tag = GetParam();
  Registry reg(tmp / "reg");
  push_layers(reg.addr(), {tag});
  auto un = ecsd(data, "image unpack " + reg.addr() + "/ecsd-test/layers:" + tag + " " + (tmp / "ecsd"));
  ASSERT_EQ(un.rc, 0) << un.err;
  // umoci 0.4 cannot read zstd layers: compare the zstd image with its gzip twin.
  std::string ref_tag = tag == std::string("zstd") ? "zstd-ref" : tag;
  std::string theirs = tree_manifest(umoci_rootfs(ref_tag, tmp / "umoci"));
  std::string ours = tree_manifest(tmp / "ecsd");
  ASSERT_FALSE(ours.empty());
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(store_problems(data), "");
}

INSTANTIATE_TEST_SUITE_P(Tags, UnpackVsUmoci,
                         ::testing::Values("base", "rich", "wh", "opaque", "zstd", "zstd-ref", "absolute"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST_F(ImageRegistry, RichLayerKeepsEveryAttribute) {
  Registry reg(tmp / "reg");
  push_layers(reg.addr(), {"rich", "opaque"});
  auto un = ecsd(data, "image unpack " + reg.addr() + "/ecsd-test/layers:opaque " + (tmp / "r"));
  ASSERT_EQ(un.rc, 0) << un.err;
  std::string m = tree_manifest(tmp / "r");
  auto has = [&](const std::string& line) { return m.find(line) != std::string::npos; };
  // Spot checks on top of the umoci comparison: the fixture really has them.
  EXPECT_TRUE(has("rich/setuid file 4755 0:0")) << m;
  EXPECT_TRUE(has("rich/loop9 block 0660 0:6 7,9"));
  EXPECT_TRUE(has("rich/null char 0666 0:0 1,3"));
  EXPECT_TRUE(has("rich/fifo fifo 0620"));
  EXPECT_TRUE(has("rich/sym-abs symlink 0777 0:0 -> /bin/busybox"));
  EXPECT_TRUE(has("links=rich/file.txt"));
  EXPECT_TRUE(has("xattrs=user.ecsd=68656c6c6f"));
  EXPECT_TRUE(has("security.capability="));
  EXPECT_TRUE(has("rich/sgid-dir dir 2775 1000:29"));
  EXPECT_TRUE(has("opq/fresh.txt file"));
  EXPECT_FALSE(has("opq/old1"));        // opaque directory
  EXPECT_FALSE(has("rich/gone-file"));  // whiteout
  EXPECT_FALSE(has("gone-dir"));        // whited-out directory
  EXPECT_TRUE(has("repl file 0600 1000:1000"));  // directory replaced by a file
}

std::string make_tls(const TempDir& tmp) {
  std::string d = tmp / "tls";
  auto r = sh("mkdir -p " + d + " && cd " + d +
              " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2"
              " -subj /CN=ecsd-test-ca -addext basicConstraints=critical,CA:TRUE"
              " -addext keyUsage=critical,keyCertSign,cRLSign"
              " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1"
              " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > ext.cnf"
              " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt"
              " -days 2 -extfile ext.cnf");
  EXPECT_EQ(r.rc, 0) << r.err;
  return d;
}

TEST_F(ImageRegistry, TlsWithTestCa) {
  std::string tls = make_tls(tmp);
  Registry reg(tmp / "reg", "--tls " + tls + "/server.crt " + tls + "/server.key");
  ASSERT_FALSE(reg.addr().empty());
  push_busybox(reg.addr());
  std::string ref = reg.addr() + "/ecsd-test/busybox:latest";

  // An unknown CA is an error and never falls back to plain http.
  auto untrusted = ecsd(data, "image pull --retries 0 " + ref);
  EXPECT_NE(untrusted.rc, 0);
  EXPECT_NE(untrusted.err.find("--ca-file"), std::string::npos) << untrusted.err;
  EXPECT_NE(untrusted.err.find("not trusted"), std::string::npos) << untrusted.err;
  EXPECT_TRUE(blob_names(data).empty());

  auto ok = ecsd(data, "image pull --ca-file " + tls + "/ca.crt " + ref);
  ASSERT_EQ(ok.rc, 0) << ok.err;
  auto env = sh("ECSD_REGISTRY_CA_FILE=" + tls + "/ca.crt timeout 120 " + ecsd_bin() + " --data-dir " +
                (tmp / "data3") + " image pull " + ref);
  EXPECT_EQ(env.rc, 0) << env.err;
  EXPECT_EQ(store_problems(data), "");
}

TEST_F(ImageRegistry, HtpasswdBasicAuth) {
  auto h = sh("htpasswd -Bbn alice 's3cret pass' > " + (tmp / "htpasswd"));
  ASSERT_EQ(h.rc, 0) << h.err;
  Registry reg(tmp / "reg", "--htpasswd " + (tmp / "htpasswd"));
  push_busybox(reg.addr(), "PUSH_CREDS='alice:s3cret pass'");
  std::string ref = reg.addr() + "/ecsd-test/busybox:latest";

  auto anon = ecsd(data, "image pull " + ref);
  EXPECT_NE(anon.rc, 0);
  EXPECT_NE(anon.err.find("no credentials"), std::string::npos) << anon.err;

  auto wrong = ecsd(data, "image pull --username alice --password-stdin " + ref, "nope");
  EXPECT_NE(wrong.rc, 0);
  EXPECT_NE(wrong.err.find("authentication failed"), std::string::npos) << wrong.err;
  EXPECT_TRUE(blob_names(data).empty());

  auto ok = ecsd(data, "image pull --username alice --password-stdin " + ref, "s3cret pass");
  ASSERT_EQ(ok.rc, 0) << ok.err;

  // A Docker config.json (auth = base64(user:pass)).
  auto cfg = sh("printf '{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}' " + reg.addr() +
                " \"$(printf 'alice:s3cret pass' | base64 -w0)\" > " + (tmp / "config.json"));
  ASSERT_EQ(cfg.rc, 0);
  auto file = ecsd(tmp / "data2", "image pull --auth-file " + (tmp / "config.json") + " " + ref);
  EXPECT_EQ(file.rc, 0) << file.err;
  auto home = sh("mkdir -p " + (tmp / "home/.docker") + " && cp " + (tmp / "config.json") + " " +
                 (tmp / "home/.docker/") + " && HOME=" + (tmp / "home") + " timeout 120 " + ecsd_bin() +
                 " --data-dir " + (tmp / "data3") + " image pull " + ref);
  EXPECT_EQ(home.rc, 0) << home.err;
}

struct TokenSetup {
  explicit TokenSetup(const TempDir& tmp, const std::string& user_opt = "--user alice:secret") {
    auto r = sh("cd " + tmp.path() +
                " && openssl req -x509 -newkey rsa:2048 -nodes -keyout tok.key -out tok.crt -days 2"
                " -subj /CN=ecsd-token-issuer");
    EXPECT_EQ(r.rc, 0) << r.err;
    log = tmp / "tokens.log";
    issuer = std::make_unique<Server>(test_script("token-issuer.py"),
                                      "--key " + (tmp / "tok.key") + " --cert " + (tmp / "tok.crt") +
                                          " --issuer ecsd-test-issuer --service ecsd-test-registry " + user_opt +
                                          " --log " + log,
                                      tmp.path());
    reg = std::make_unique<Registry>(tmp / "reg", "--token http://" + issuer->addr() +
                                                      "/token ecsd-test-registry ecsd-test-issuer " + (tmp / "tok.crt"));
  }
  std::string log;
  std::unique_ptr<Server> issuer;
  std::unique_ptr<Registry> reg;
};

TEST_F(ImageRegistry, BearerTokenFlow) {
  TokenSetup t(tmp);
  push_busybox(t.reg->addr(), "PUSH_CREDS=alice:secret");
  std::string ref = t.reg->addr() + "/ecsd-test/busybox:latest";

  auto anon = ecsd(data, "image pull " + ref);
  EXPECT_NE(anon.rc, 0);
  EXPECT_NE(anon.err.find("token server"), std::string::npos) << anon.err;
  EXPECT_NE(anon.err.find("no credentials"), std::string::npos) << anon.err;

  int before = count_lines(t.log, "200 repository:ecsd-test/busybox:pull");
  auto ok = ecsd(data, "image pull --username alice --password-stdin " + ref, "secret");
  ASSERT_EQ(ok.rc, 0) << ok.err;
  // One token for the whole pull (manifest, config, layer): cached per scope.
  EXPECT_EQ(count_lines(t.log, "200 repository:ecsd-test/busybox:pull") - before, 1) << read_text(t.log);
}

TEST_F(ImageRegistry, AnonymousBearerTokens) {
  TokenSetup t(tmp, "");
  push_busybox(t.reg->addr());
  auto ok = ecsd(data, "image pull " + t.reg->addr() + "/ecsd-test/busybox:latest");
  ASSERT_EQ(ok.rc, 0) << ok.err;
}

TEST_F(ImageRegistry, ExpiredTokenIsRenewed) {
  TokenSetup t(tmp);
  push_busybox(t.reg->addr(), "PUSH_CREDS=alice:secret");
  std::string ref = t.reg->addr() + "/ecsd-test/busybox:latest";
  auto ctl = sh("curl -sf 'http://" + t.issuer->addr() + "/control?expire_next=1'");
  ASSERT_EQ(ctl.rc, 0) << ctl.err;
  auto ok = ecsd(data, "image pull --username alice --password-stdin " + ref, "secret");
  ASSERT_EQ(ok.rc, 0) << ok.err << read_text(t.log);
  EXPECT_EQ(count_lines(t.log, "200 expired repository:ecsd-test/busybox:pull"), 1) << read_text(t.log);
  EXPECT_GE(count_lines(t.log, "200 repository:ecsd-test/busybox:pull"), 1) << read_text(t.log);

  // Every token expired: a clear error, no endless loop.
  sh("curl -sf 'http://" + t.issuer->addr() + "/control?expire_next=100'");
  auto bad = ecsd(tmp / "data2", "image pull --username alice --password-stdin " + ref, "secret");
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.err.find("authentication failed"), std::string::npos) << bad.err;
}

TEST_F(ImageRegistry, ManifestListSelectsPlatform) {
  Registry reg(tmp / "reg");
  push_layers(reg.addr(), {"base", "base-arm64"});
  auto idx = sh("python3 " + quote(fixtures_script("images/push-index.py")) + " " + reg.addr() +
                " ecsd-test/layers multi base=linux/amd64 base-arm64=linux/arm64/v8");
  ASSERT_EQ(idx.rc, 0) << idx.err;
  auto digest_of = [&](const std::string& tag) {
    auto p = idx.out.find("\n" + tag + " ");
    return idx.out.substr(p + tag.size() + 2, 71);
  };
  std::string ref = reg.addr() + "/ecsd-test/layers:multi";
  auto amd = ecsd(data, "image pull --platform linux/amd64 " + ref);
  ASSERT_EQ(amd.rc, 0) << amd.err;
  EXPECT_NE(amd.out.find(digest_of("base")), std::string::npos) << amd.out << idx.out;
  auto arm = ecsd(tmp / "data2", "image pull --platform linux/arm64 " + ref);
  ASSERT_EQ(arm.rc, 0) << arm.err;
  EXPECT_NE(arm.out.find(digest_of("base-arm64")), std::string::npos) << arm.out << idx.out;
  if (sh("test \"$(uname -m)\" = x86_64").rc == 0) {
    auto host = ecsd(tmp / "data4", "image pull " + ref);
    EXPECT_NE(host.out.find(digest_of("base")), std::string::npos) << host.out;
  }
  auto none = ecsd(tmp / "data3", "image pull --platform linux/s390x " + ref);
  EXPECT_NE(none.rc, 0);
  EXPECT_NE(none.err.find("linux/s390x"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("linux/arm64/v8"), std::string::npos) << none.err;
}

TEST_F(ImageRegistry, ProgressOnTerminalAndPlainLines) {
  Registry reg(tmp / "reg");
  push_busybox(reg.addr());
  std::string ref = reg.addr() + "/ecsd-test/busybox:latest";
  auto plain = ecsd(data, "image pull " + ref);
  ASSERT_EQ(plain.rc, 0) << plain.err;
  EXPECT_NE(plain.err.find("layer 1/1 sha256:"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find('\r'), std::string::npos);

  // On a terminal (script(1) gives it a pty): one redrawn line.
  std::string cmd = ecsd_bin() + " --data-dir " + (tmp / "data2") + " image pull " + ref;
  auto tty = sh("script -qec " + quote(cmd) + " /dev/null");
  ASSERT_EQ(tty.rc, 0) << tty.out << tty.err;
  EXPECT_NE(tty.out.find("\r\033[Klayers 1/1"), std::string::npos) << tty.out;
  EXPECT_EQ(tty.out.find("layer 1/1 sha256:"), std::string::npos) << tty.out;
}

}  // namespace
}  // namespace ecsd::image_test
