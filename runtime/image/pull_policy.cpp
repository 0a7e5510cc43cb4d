#include "runtime/image/pull_policy.h"

namespace ecsd::image {

Result<PullPolicy> parse_pull_policy(std::string_view t) {
  if (t == "default" || t.empty()) return PullPolicy::kDefault;
  if (t == "always") return PullPolicy::kAlways;
  if (t == "once") return PullPolicy::kOnce;
  if (t == "prefer-cached") return PullPolicy::kPreferCached;
  return fail_invalid("unknown pull policy \"" + std::string(t) + "\" (use default, always, once or prefer-cached)");
}

std::string_view pull_policy_name(PullPolicy p) {
  switch (p) {
    case PullPolicy::kDefault: return "default";
    case PullPolicy::kAlways: return "always";
    case PullPolicy::kOnce: return "once";
    case PullPolicy::kPreferCached: return "prefer-cached";
  }
  return "default";
}

PullPlan plan_pull(PullPolicy policy, bool cached) {
  switch (policy) {
    case PullPolicy::kDefault: return {true, cached};
    case PullPolicy::kAlways: return {true, false};
    case PullPolicy::kOnce:
    case PullPolicy::kPreferCached: return {!cached, false};
  }
  return {true, false};
}

Result<EnsureOutcome> ensure_image(PullPolicy policy, const std::optional<ImageRecord>& cached,
                                   const std::function<Result<ImageRecord>()>& pull) {
  PullPlan plan = plan_pull(policy, cached.has_value());
  EnsureOutcome out;
  if (!plan.pull) {
    out.record = *cached;
    return out;
  }
  auto r = pull();
  if (r) {
    out.record = std::move(*r);
    out.pulled = true;
    return out;
  }
  if (plan.fallback_to_cached && cached) {
    out.record = *cached;
    out.pull_error = r.error();
    return out;
  }
  return fail(r.error());
}

}  // namespace ecsd::image
