// A Docker-like default Spec for callers that build containers from scratch
// (the agent, `ecsd-runtime spec`), and the "privileged" transform.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/capabilities.h"
#include "runtime/seccomp_profile.h"
#include "runtime/spec.h"

namespace ecsd::runtime {

// Docker's default mounts: /proc, /dev (tmpfs), /dev/pts, /sys (ro),
// /sys/fs/cgroup (ro), /dev/mqueue, /dev/shm (tmpfs 64 MiB).
std::vector<Mount> docker_default_mounts();
// Docker's masked and read-only /proc and /sys paths.
std::vector<std::string> docker_masked_paths();
std::vector<std::string> docker_readonly_paths();
// The device nodes every container gets (null, zero, full, random, urandom,
// tty) and Docker's device cgroup rules (deny all, then allow those plus
// mknod of any c/b, /dev/pts/* and /dev/ptmx).
std::vector<Device> docker_default_devices();
std::vector<DeviceCgroupRule> docker_default_device_rules();

// The default spec: new pid, ipc, uts, mount, network and cgroup namespaces;
// Docker's mounts, masked/readonly paths, devices and device rules; Docker's
// 14 capabilities in bounding, effective and permitted (inheritable and
// ambient empty, as Docker does since 20.10.14 / CVE-2022-24769); Docker's
// default seccomp profile resolved for those capabilities, this arch and the
// running kernel (`kernel` overrides); no_new_privileges false; uid/gid 0,
// cwd "/", a default PATH. root.path and process.args are left for the caller.
Result<Spec> docker_default_spec(std::optional<KernelVersion> kernel = std::nullopt);

// Privileged, as Docker means it on THIS host: every capability of
// `host_bounding` in bounding, effective and permitted (inheritable and
// ambient untouched: empty, as Docker); no seccomp; no masked or read-only
// paths; /sys and /sys/fs/cgroup mounted read-write; `host_devices` (see
// list_host_devices) replace the devices; one device rule allowing all.
void make_privileged(Spec& spec, CapMask host_bounding, const std::vector<Device>& host_devices);

// Character and block device nodes under `dev_dir` (normally "/dev"),
// recursively, as Device entries with the same path inside the container
// (prefix `dev_dir` replaced by "/dev"), mode, uid and gid. Skips /dev/pts,
// /dev/shm, /dev/mqueue, /dev/fd, /dev/console and symlinks. Sorted by path.
Result<std::vector<Device>> list_host_devices(const std::string& dev_dir = "/dev");

}  // namespace ecsd::runtime
