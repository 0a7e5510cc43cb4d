#include "tests/integration/image/support.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/sha.h>

namespace ecsd::image_test {

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

CmdResult sh(const std::string& cmd) {
  char tmpl[] = "/tmp/ecsd-imgtest-cmd.XXXXXX";
  std::string d = ::mkdtemp(tmpl);
  std::string full = "( " + cmd + " ) >" + d + "/out 2>" + d + "/err";
  int st = std::system(full.c_str());
  CmdResult r;
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  r.out = read_text(d + "/out");
  r.err = read_text(d + "/err");
  std::system(("rm -rf " + d).c_str());
  return r;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/ecsd-imgtest.XXXXXX";
  const char* p = ::mkdtemp(tmpl);
  if (!p) std::abort();
  path_ = p;
}

TempDir::~TempDir() { sh("rm -rf " + quote(path_)); }

std::string fixtures_script(const std::string& rel) { return std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/" + rel; }
std::string test_script(const std::string& rel) { return std::string(ECSD_SOURCE_DIR) + "/tests/integration/image/" + rel; }

Server::Server(const std::string& script, const std::string& args, const std::string& dir) : dir_(dir) {
  std::string name = std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(this));
  std::string addr_file = dir + "/server-" + name + ".addr";
  std::string pid_file = dir + "/server-" + name + ".pid";
  auto r = sh("python3 " + quote(script) + " " + args + " >" + quote(addr_file) + " 2>" + quote(addr_file + ".err") +
              " </dev/null & echo $! >" + quote(pid_file));
  EXPECT_EQ(r.rc, 0) << r.err;
  pid_ = std::atoi(read_text(pid_file).c_str());
  for (int i = 0; i < 200; ++i) {
    std::string a = read_text(addr_file);
    if (!a.empty() && a.back() == '\n') {
      addr_ = a.substr(0, a.size() - 1);
      return;
    }
    if (pid_ > 0 && ::kill(pid_, 0) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << script << " did not start: " << read_text(addr_file + ".err");
}

Server::~Server() { stop(); }

void Server::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    // Not our child (started by a shell that exited): wait for it to vanish.
    for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i) {
      ::waitpid(pid_, nullptr, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }
}

Registry::Registry(const std::string& dir, const std::string& options) : dir_(dir) {
  auto r = sh(quote(fixtures_script("registry/start-registry")) + " --dir " + quote(dir) + " " + options);
  EXPECT_EQ(r.rc, 0) << r.err;
  addr_ = r.out.substr(0, r.out.find('\n'));
}

Registry::~Registry() { stop(); }

void Registry::stop() {
  if (!dir_.empty()) sh(quote(fixtures_script("registry/stop-registry")) + " --dir " + quote(dir_));
  dir_.clear();
}

const std::string& test_layout() {
  static std::string layout = [] {
    std::string out = std::string(ECSD_BINARY_DIR) + "/fixtures/image-layouts";
    std::string mk = fixtures_script("images/make-test-images");
    std::string craft = fixtures_script("images/craft.py");
    std::string cmd = "mkdir -p " + quote(out) + " && flock " + quote(out + ".lock") + " sh -c " +
                      quote("if [ ! -f '" + out + "/stamp' ] || [ '" + mk + "' -nt '" + out + "/stamp' ] || [ '" +
                            craft + "' -nt '" + out + "/stamp' ]; then rm -rf '" + out + "'/* && '" + mk +
                            "' build '" + out + "' && touch '" + out + "/stamp'; fi");
    auto r = sh(cmd);
    EXPECT_EQ(r.rc, 0) << r.out << r.err;
    return out + "/oci";
  }();
  return layout;
}

void push_layers(const std::string& addr, const std::vector<std::string>& tags, const std::string& extra) {
  for (const auto& t : tags) {
    auto r = sh("skopeo copy --quiet --dest-tls-verify=false " + extra + " oci:" + test_layout() + ":" + t +
                " docker://" + addr + "/ecsd-test/layers:" + t);
    ASSERT_EQ(r.rc, 0) << "push " << t << ": " << r.err;
  }
}

void push_busybox(const std::string& addr, const std::string& env) {
  std::string layout = std::string(ECSD_BINARY_DIR) + "/fixtures/busybox-oci";
  auto r = sh("ECSD_BUSYBOX_LAYOUT=" + quote(layout) + " " + env + " " +
              quote(fixtures_script("registry/push-busybox")) + " " + addr);
  ASSERT_EQ(r.rc, 0) << r.err;
}

std::string ecsd_bin() {
  // ECSD_TEST_BIN: test another ecsd binary (e.g. a copy, while the build dir changes).
  if (const char* b = std::getenv("ECSD_TEST_BIN"); b && *b) return b;
  return std::string(ECSD_BIN_DIR) + "/ecsd";
}

CmdResult ecsd(const std::string& data, const std::string& args, const std::string& input) {
  std::string bin = ecsd_bin();
  std::string in = input.empty() ? " </dev/null" : "";
  std::string pre = input.empty() ? "" : "printf '%s\\n' " + quote(input) + " | ";
  // `timeout`: a hang is a failure, not a stuck suite.
  return sh(pre + "timeout 300 " + quote(bin) + " --data-dir " + quote(data) + " " + args + in);
}

std::string tree_manifest(const std::string& dir) {
  auto r = sh("python3 " + quote(test_script("tree-manifest.py")) + " " + quote(dir));
  EXPECT_EQ(r.rc, 0) << r.err;
  return r.out;
}

std::string umoci_rootfs(const std::string& tag, const std::string& dir) {
  auto r = sh("umoci unpack --image " + quote(test_layout() + ":" + tag) + " " + quote(dir));
  EXPECT_EQ(r.rc, 0) << r.err;
  return dir + "/rootfs";
}

namespace {
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string sha256_hex_file(const std::string& path) {
  std::string data = read_text(path);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}
}  // namespace

std::vector<std::string> blob_names(const std::string& data) { return list_dir(data + "/images/blobs/sha256"); }

std::vector<std::string> layer_names(const std::string& data) {
  std::vector<std::string> out;
  for (auto& n : list_dir(data + "/images/layers"))
    if (n[0] != '.') out.push_back(n);
  return out;
}

std::string store_problems(const std::string& data) {
  std::string p;
  for (auto& b : blob_names(data))
    if (sha256_hex_file(data + "/images/blobs/sha256/" + b) != b) p += "blob " + b + " does not hash to its name\n";
  for (auto& n : list_dir(data + "/images/ingest")) p += "left in ingest/: " + n + "\n";
  for (auto& n : list_dir(data + "/images/layers/.tmp")) p += "left in layers/.tmp: " + n + "\n";
  for (auto& l : layer_names(data))
    if (!exists(data + "/images/layers/" + l + "/complete")) p += "layer " + l + " is not complete\n";
  return p;
}

int count_lines(const std::string& path, const std::string& needle) {
  std::istringstream in(read_text(path));
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

}  // namespace ecsd::image_test
