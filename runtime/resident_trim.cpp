#include "runtime/resident_trim.h"

#include <sys/mman.h>

#include "common/file_util.h"

namespace ecsd::runtime {

size_t trim_resident_image() {
  auto text = read_file("/proc/self/smaps");
  if (!text) return 0;
  return for_each_droppable_mapping(*text, [](uint64_t start, size_t len) {
    ::madvise(reinterpret_cast<void*>(start), len, MADV_DONTNEED);
  });
}

}  // namespace ecsd::runtime
