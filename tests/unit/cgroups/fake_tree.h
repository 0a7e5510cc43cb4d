// A fake cgroupfs in a temp dir: directories and the interface files the
// kernel would have, pre-created by the test; the library writes into them
// and the test checks exactly what was written.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ecsd::cgroups::testing {

class FakeTree {
 public:
  FakeTree() {
    char tmpl[] = "/tmp/ecsd-fake-cgroupfs-XXXXXX";
    char* d = ::mkdtemp(tmpl);
    if (!d) throw std::runtime_error("mkdtemp failed");
    root_ = d;
  }
  ~FakeTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FakeTree(const FakeTree&) = delete;
  FakeTree& operator=(const FakeTree&) = delete;

  const std::string& root() const { return root_; }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  void dir(const std::string& rel) const { std::filesystem::create_directories(path(rel)); }
  void file(const std::string& rel, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(path(rel)).parent_path());
    std::ofstream(path(rel), std::ios::trunc) << content;
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(path(rel));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool exists(const std::string& rel) const { return std::filesystem::exists(path(rel)); }

 private:
  std::string root_;
};

}  // namespace ecsd::cgroups::testing
