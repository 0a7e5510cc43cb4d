// Gathering side of `ecsd doctor` (agent/host/doctor.h).
#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>

#include "agent/host/doctor.h"
#include "agent/host/http_probe.h"
#include "common/file_util.h"
#include "netns/nft.h"
#include "runtime/shim_path.h"

namespace ecsd::host {

namespace {

std::string get(const EnvMap& m, const char* k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}

std::string read_trimmed(const std::string& path) {
  auto v = read_file(path);
  return v ? std::string(trim(*v)) : std::string();
}

bool exists(const std::string& p) {
  struct stat sb{};
  return ::stat(p.c_str(), &sb) == 0;
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

bool overlay_module_available(const std::string& release) {
  for (const char* suffix : {"", ".xz", ".zst", ".gz"})
    if (exists("/lib/modules/" + release + "/kernel/fs/overlayfs/overlay.ko" + suffix)) return true;
  return false;
}

// The nearest existing ancestor of a path (statvfs needs an existing one).
std::string existing_ancestor(std::string p) {
  while (!p.empty() && !exists(p)) {
    auto s = p.rfind('/');
    p = s == 0 || s == std::string::npos ? "/" : p.substr(0, s);
  }
  return p.empty() ? "/" : p;
}

bool shared_credentials_have_profile(const EnvMap& cfg) {
  std::string file = get(cfg, "AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty()) {
    std::string home = get(cfg, "HOME");
    if (home.empty()) home = "/root";
    file = home + "/.aws/credentials";
  }
  std::string profile = get(cfg, "AWS_PROFILE");
  if (profile.empty()) profile = "default";
  auto text = read_file(file);
  if (!text) return false;
  EnvMap section;
  bool in = false;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    std::string_view line = trim(std::string_view(*text).substr(pos, nl - pos));
    pos = nl + 1;
    if (line.starts_with("[")) {
      in = line == "[" + profile + "]";
      continue;
    }
    if (in && line.starts_with("aws_access_key_id")) return true;
  }
  return false;
}

struct Imds {
  bool reachable = false;
  std::string error;
  std::string role;
  std::string region;
};

Imds probe_imds(const EnvMap& cfg, long timeout_ms) {
  Imds r;
  std::string ep = get(cfg, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (ep.empty()) ep = "http://169.254.169.254";
  while (!ep.empty() && ep.back() == '/') ep.pop_back();
  auto tok = http_request("PUT", ep + "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds: 60"}, timeout_ms);
  if (!tok) {
    r.error = tok.error().message;
    return r;
  }
  if (tok->status != 200) {
    r.error = "PUT " + ep + "/latest/api/token answered HTTP " + std::to_string(tok->status);
    return r;
  }
  r.reachable = true;
  std::string h = "X-aws-ec2-metadata-token: " + std::string(trim(tok->body));
  if (auto role = http_request("GET", ep + "/latest/meta-data/iam/security-credentials/", {h}, timeout_ms);
      role && role->status == 200) {
    std::string b(trim(role->body));
    r.role = b.substr(0, b.find('\n'));
  }
  if (auto reg = http_request("GET", ep + "/latest/meta-data/placement/region", {h}, timeout_ms);
      reg && reg->status == 200)
    r.region = std::string(trim(reg->body));
  return r;
}

std::string ecs_endpoint(const EnvMap& cfg, const std::string& region) {
  std::string ep = get(cfg, "ECS_BACKEND_HOST");
  if (ep.empty()) ep = get(cfg, "AWS_ENDPOINT_URL_ECS");
  if (ep.empty()) ep = get(cfg, "AWS_ENDPOINT_URL");
  if (!ep.empty()) {
    if (ep.find("://") == std::string::npos) ep = "https://" + ep;
    return ep;
  }
  if (region.empty()) return "";
  return "https://ecs." + region + ".amazonaws.com" + (region.starts_with("cn-") ? ".cn" : "");
}

}  // namespace

std::vector<Check> run_doctor(const DoctorOptions& o, const EnvMap& cfg) {
  std::vector<Check> out;
  const bool root = ::geteuid() == 0;
  out.push_back(root ? Check{"root", Level::ok, "running as root", ""}
                     : Check{"root", Level::warn, "not running as root: some checks are limited",
                             "run `sudo ecsd doctor` (the agent itself runs as root)"});

  utsname u{};
  ::uname(&u);
  out.push_back(check_kernel(u.release));
  out.push_back(check_namespaces(list_dir("/proc/self/ns")));
  out.push_back(check_cgroups(cgroups::Hierarchy::detect()));
  out.push_back(check_overlay(read_trimmed("/proc/filesystems"), overlay_module_available(u.release)));
  auto status = read_file("/proc/self/status");
  out.push_back(check_seccomp(read_trimmed("/proc/sys/kernel/seccomp/actions_avail"),
                              status && status->find("\nSeccomp:") != std::string::npos));
  out.push_back(check_user_namespaces(read_trimmed("/proc/sys/user/max_user_namespaces")));
  {
    std::string err;
    auto nft = netns::Nft::create();
    if (!nft) err = nft.error().message;
    else if (auto q = nft->query("list tables"); !q) err = q.error().message;
    out.push_back(check_nftables(err, root));
  }
  out.push_back(exists("/usr/sbin/iptables") || exists("/sbin/iptables")
                    ? Check{"iptables", Level::ok, "present (ecsd itself uses nftables)", ""}
                    : Check{"iptables", Level::skip, "not installed (not needed: ecsd uses nftables)", ""});
  {
    std::string p = existing_ancestor(o.data_dir);
    struct statvfs sv{};
    if (::statvfs(p.c_str(), &sv) != 0)
      out.push_back(Check{"disk space", Level::warn, Error::sys(errno, "statvfs", p).message, ""});
    else
      out.push_back(check_disk(p, static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize,
                               static_cast<uint64_t>(sv.f_blocks) * sv.f_frsize));
  }
  auto shim = runtime::find_shim();
  out.push_back(check_shim(shim));
  if (shim) {
    // ecsd-init (initProcessEnabled) is installed beside the shim.
    std::string init = shim->substr(0, shim->rfind('/')) + "/ecsd-init";
    out.push_back(::access(init.c_str(), X_OK) == 0
                      ? Check{"ecsd-init", Level::ok, init, ""}
                      : Check{"ecsd-init", Level::warn, init + " missing: tasks with initProcessEnabled cannot start",
                              "reinstall the ecsd package"});
  }

  const std::string cluster = get(cfg, "ECS_CLUSTER");
  out.push_back(cluster.empty()
                    ? Check{"cluster", Level::ok, "no ECS_CLUSTER: local mode (`ecsd run`); cluster checks are informational", ""}
                    : Check{"cluster", Level::ok, "ECS_CLUSTER=" + cluster, ""});
  const Level need = cluster.empty() ? Level::warn : Level::fail;

  if (!o.network) {
    out.push_back(Check{"network checks", Level::skip, "skipped (--offline)", ""});
    return out;
  }

  Imds imds;
  if (get(cfg, "AWS_EC2_METADATA_DISABLED") == "true") {
    out.push_back(Check{"IMDS", Level::skip, "AWS_EC2_METADATA_DISABLED=true", ""});
  } else {
    imds = probe_imds(cfg, o.timeout_ms);
    if (imds.reachable)
      out.push_back(Check{"IMDS", Level::ok,
                          "reachable (IMDSv2)" + (imds.region.empty() ? "" : ", region " + imds.region), ""});
    else
      out.push_back(Check{"IMDS", need, "not reachable: " + imds.error,
                          "on EC2: set the instance's metadata options to http-endpoint=enabled and "
                          "http-put-response-hop-limit>=1; off EC2 this is expected in local mode"});
  }

  std::string creds = credential_source(cfg, shared_credentials_have_profile(cfg), imds.role);
  if (!creds.empty()) out.push_back(Check{"credentials", Level::ok, "found: " + creds, ""});
  else
    out.push_back(Check{"credentials", need, "no AWS credentials found (environment, shared file, instance profile)",
                        "attach an instance profile with the AmazonEC2ContainerServiceforEC2Role policy"});

  std::string region = get(cfg, "AWS_DEFAULT_REGION");
  if (region.empty()) region = get(cfg, "AWS_REGION");
  if (region.empty()) region = imds.region;
  std::string ep = ecs_endpoint(cfg, region);
  if (ep.empty()) {
    out.push_back(Check{"ECS endpoint", cluster.empty() ? Level::skip : Level::fail, "no region known",
                        cluster.empty() ? "" : "set AWS_DEFAULT_REGION in /etc/ecs/ecs.config"});
    out.push_back(Check{"clock", Level::skip, "no endpoint to compare with", ""});
    return out;
  }
  auto reply = http_request("GET", ep + "/", {}, o.timeout_ms);
  if (!reply) {
    out.push_back(Check{"ECS endpoint", need, "not reachable: " + reply.error().message,
                        "allow outbound HTTPS (443) to " + ep + " (security group, NAT gateway or VPC endpoint)"});
    out.push_back(check_clock(ep, std::nullopt, "endpoint not reachable"));
    return out;
  }
  out.push_back(Check{"ECS endpoint", Level::ok, ep + " answered HTTP " + std::to_string(reply->status), ""});
  auto server = parse_http_date(reply->date);
  if (!server) out.push_back(check_clock(ep, std::nullopt, reply->date.empty() ? "" : "unparsable Date: " + reply->date));
  else out.push_back(check_clock(ep, static_cast<int64_t>(*server) - static_cast<int64_t>(std::time(nullptr)), ""));
  return out;
}

}  // namespace ecsd::host
