// Helpers for the image integration tests: shell commands, temp dirs, a
// registry (tests/fixtures/registry), background python servers, the test
// images (tests/fixtures/images) and checks of the store's consistency.
#pragma once

#include <string>
#include <vector>

namespace ecsd::image_test {

struct CmdResult {
  int rc = -1;
  std::string out, err;
};

// Runs `cmd` with /bin/sh; stdout and stderr are captured separately.
CmdResult sh(const std::string& cmd);
std::string quote(const std::string& s);
std::string read_text(const std::string& path);
bool exists(const std::string& path);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A python server (fault proxy, token issuer) that prints HOST:PORT when ready.
class Server {
 public:
  Server(const std::string& script, const std::string& args, const std::string& dir);
  ~Server();
  const std::string& addr() const { return addr_; }
  void stop();

 private:
  std::string dir_, addr_;
  int pid_ = -1;
};

// docker-registry via tests/fixtures/registry/start-registry.
class Registry {
 public:
  explicit Registry(const std::string& dir, const std::string& options = "");
  ~Registry();
  const std::string& addr() const { return addr_; }
  void stop();

 private:
  std::string dir_, addr_;
};

std::string fixtures_script(const std::string& rel);  // ECSD_SOURCE_DIR/tests/fixtures/rel
std::string test_script(const std::string& rel);      // ECSD_SOURCE_DIR/tests/integration/image/rel

// The test images (make-test-images build), built once per build dir.
const std::string& test_layout();  // .../oci
// Pushes tags of the test layout to addr/ecsd-test/layers (plain http).
void push_layers(const std::string& addr, const std::vector<std::string>& tags, const std::string& extra = "");
// Pushes the busybox image to addr/ecsd-test/busybox:latest (env: PUSH_CREDS, PUSH_TLS_VERIFY).
void push_busybox(const std::string& addr, const std::string& env = "");

// The ecsd binary under test: $ECSD_TEST_BIN, else ECSD_BIN_DIR/ecsd.
std::string ecsd_bin();
// `ecsd --data-dir DATA ARGS` (stdin from /dev/null unless `input` is given).
CmdResult ecsd(const std::string& data, const std::string& args, const std::string& input = "");

// tree-manifest.py output for a directory.
std::string tree_manifest(const std::string& dir);
// umoci unpack of a test-layout tag into dir; returns the rootfs path.
std::string umoci_rootfs(const std::string& tag, const std::string& dir);

// Every blob under DATA/images/blobs hashes to its name, nothing is left in
// ingest/ or layers/.tmp, every layer directory is complete. Empty = consistent.
std::string store_problems(const std::string& data);
std::vector<std::string> blob_names(const std::string& data);
std::vector<std::string> layer_names(const std::string& data);
// Lines of a file that contain `needle`.
int count_lines(const std::string& path, const std::string& needle);

}  // namespace ecsd::image_test
