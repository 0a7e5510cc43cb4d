// Cgroup::apply: plan the writes, then write them; all or nothing.
#include "cgroups/internal.h"
#include "common/file_util.h"

namespace ecsd::cgroups {

namespace {

struct Done {
  std::string path;
  std::string old_value;
};

}  // namespace

Status Cgroup::apply(const Resources& r) {
  const std::string ctx = "applying limits to cgroup " + rel_path_;
  Reader read = [this](std::string_view controller, std::string_view file) -> Result<std::string> {
    std::string dir = dir_for(controller);
    if (dir.empty())
      return fail_invalid("controller " + std::string(controller) + " is not available for " + std::string(file));
    return read_file(dir + "/" + std::string(file));
  };
  auto plan = hierarchy_.layout() == Layout::kV2 ? plan_v2(r, read) : plan_v1(r, read);
  if (!plan) return fail(plan.error().with_context(ctx));

  // Every controller the plan needs must be there before anything is written.
  for (const Write& w : *plan) {
    if (dir_for(w.controller).empty())
      return fail(Error::invalid("controller " + w.controller + " is not available (needed for " + w.file + " = " +
                                 w.value + ")")
                      .context(ctx));
  }

  // Remember what each file held so that a failure part-way restores it:
  // the cgroup is left with the limits it had before this call.
  std::vector<Done> done;
  auto rollback = [&](Error e) -> Status {
    for (auto it = done.rbegin(); it != done.rend(); ++it) (void)write_existing_file(it->path, it->old_value);
    return fail(e.context(ctx));
  };
  for (const Write& w : *plan) {
    std::string dir = dir_for(w.controller);
    std::string path = dir + "/" + w.file;
    auto old = read_file(path);
    if (!old) return rollback(old.error());
    auto st = write_existing_file(path, w.value);
    if (!st) {
      Error e = st.error();
      if (e.code == EBUSY && (w.file == "memory.limit_in_bytes" || w.file == "memory.memsw.limit_in_bytes")) {
        const char* usage_file = w.file == "memory.limit_in_bytes" ? "memory.usage_in_bytes" : "memory.memsw.usage_in_bytes";
        auto usage = read_file(dir + "/" + usage_file);
        e.message += " (current usage " + (usage ? std::string(trim(*usage)) : std::string("unknown")) +
                     " bytes is above the new limit and could not be reclaimed)";
      }
      return rollback(std::move(e));
    }
    done.push_back({path, std::string(trim(*old))});
  }
  return {};
}

}  // namespace ecsd::cgroups
