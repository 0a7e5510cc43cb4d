// Keeps a long-lived, mostly idle process (the shim's monitor) small: drops
// the resident pages of its own read-only file mappings (program text and
// read-only data, which the kernel maps in 64 KiB fault-around windows while
// the program starts). Pages the process touches again are faulted back in
// from the page cache; nothing is written or lost. Mappings holding private
// (copy-on-write) pages are left alone.
#pragma once

#include <cstddef>
#include <string_view>

namespace ecsd::runtime {

// Returns the number of bytes advised away (0 when /proc is unreadable).
size_t trim_resident_image();

// Pure part, for tests: decides from /proc/self/smaps text which ranges may
// be dropped (file-backed, not writable, no anonymous pages) and calls
// drop(start, length) for each.
template <typename Drop>
size_t for_each_droppable_mapping(std::string_view smaps, Drop&& drop);

}  // namespace ecsd::runtime

#include "runtime/resident_trim_impl.h"
