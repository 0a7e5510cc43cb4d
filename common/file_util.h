// Small file helpers that report errors with errno and path.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ecsd {

// Whole-file read (files of any size; /proc and cgroup files included).
Result<std::string> read_file(const std::string& path);
// Read relative to a directory fd (dirfd may be AT_FDCWD).
Result<std::string> read_file_at(int dirfd, const std::string& path);

// Write data to an existing file, O_WRONLY|O_TRUNC without creating it
// (the way cgroup and proc files are written). One write() call.
Status write_existing_file(const std::string& path, std::string_view data);
Status write_existing_file_at(int dirfd, const std::string& path, std::string_view data);

// Durable replace: write to "<path>.tmp.<pid>", fsync, rename over path,
// fsync the directory. Readers see the old or the new content, never half.
Status write_file_atomic(const std::string& path, std::string_view data, int mode = 0644);

// mkdir -p with a mode; existing directories are fine.
Status make_dirs(const std::string& path, int mode = 0755);

// Trim ASCII whitespace at both ends.
std::string_view trim(std::string_view s);

}  // namespace ecsd
