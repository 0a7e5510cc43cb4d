// Pull behaviours (the semantics operators know from ECS_IMAGE_PULL_BEHAVIOR):
//   default       pull; if the pull fails and the image is cached, use it
//   always        pull; a failed pull is an error
//   once          pull only if the image is not cached
//   prefer-cached use the cached image if present, else pull
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "common/error.h"
#include "runtime/image/image_index.h"

namespace ecsd::image {

enum class PullPolicy { kDefault, kAlways, kOnce, kPreferCached };

Result<PullPolicy> parse_pull_policy(std::string_view text);
std::string_view pull_policy_name(PullPolicy p);

struct PullPlan {
  bool pull = true;                 // contact the registry
  bool fallback_to_cached = false;  // on pull failure, use the cached image
};
// Pure decision from the policy and whether a usable cached copy exists.
PullPlan plan_pull(PullPolicy policy, bool cached);

struct EnsureOutcome {
  ImageRecord record;
  bool pulled = false;               // the registry was contacted successfully
  std::optional<Error> pull_error;   // set when a failed pull fell back to the cache
};

// Applies the policy: `cached` is the usable cached record (or nullopt),
// `pull` performs the pull and returns the new record.
Result<EnsureOutcome> ensure_image(PullPolicy policy, const std::optional<ImageRecord>& cached,
                                   const std::function<Result<ImageRecord>()>& pull);

}  // namespace ecsd::image
