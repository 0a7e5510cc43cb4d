#include "runtime/image/tar_path.h"

namespace ecsd::image {

Result<std::string> clean_entry_path(std::string_view name) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string_view::npos) j = name.size();
    std::string_view c = name.substr(i, j - i);
    if (c.empty() || c == ".") {
      // skip
    } else if (c == "..") {
      if (parts.empty()) {
        return fail_invalid("layer entry '" + std::string(name) + "' escapes the layer root");
      }
      parts.pop_back();
    } else {
      parts.push_back(c);
    }
    i = j + 1;
  }
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out.push_back('/');
    out.append(p);
  }
  if (out.find('\0') != std::string::npos) {
    return fail_invalid("layer entry '" + std::string(name) + "' contains a NUL byte");
  }
  return out;
}

std::vector<std::string> split_path(std::string_view clean) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < clean.size()) {
    size_t j = clean.find('/', i);
    if (j == std::string_view::npos) j = clean.size();
    if (j > i) out.emplace_back(clean.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::pair<std::string, std::string> split_parent(std::string_view clean) {
  size_t k = clean.rfind('/');
  if (k == std::string_view::npos) return {std::string(), std::string(clean)};
  return {std::string(clean.substr(0, k)), std::string(clean.substr(k + 1))};
}

Result<Whiteout> classify_whiteout(std::string_view base) {
  Whiteout w;
  if (base.substr(0, kWhiteoutPrefix.size()) != kWhiteoutPrefix) return w;
  if (base == kOpaqueWhiteout) {
    w.kind = WhiteoutKind::kOpaque;
    return w;
  }
  if (base.substr(0, kWhiteoutMetaPrefix.size()) == kWhiteoutMetaPrefix) {
    w.kind = WhiteoutKind::kMeta;
    return w;
  }
  std::string_view target = base.substr(kWhiteoutPrefix.size());
  if (target.empty() || target == "." || target == "..") {
    return fail_invalid("invalid whiteout entry '" + std::string(base) + "'");
  }
  w.kind = WhiteoutKind::kFile;
  w.target = std::string(target);
  return w;
}

bool symlink_target_inside(std::string_view link_path, std::string_view target) {
  std::string joined;
  if (!target.empty() && target.front() == '/') {
    joined = std::string(target);
  } else {
    joined = split_parent(link_path).first;
    joined.push_back('/');
    joined.append(target);
  }
  return clean_entry_path(joined).has_value();
}

}  // namespace ecsd::image

namespace ecsd::image {
bool is_overlay_private_xattr(std::string_view name) {
  return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.");
}
}  // namespace ecsd::image
