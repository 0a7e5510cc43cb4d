#include "agent/engine/container_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>

#include "runtime/defaults.h"

using namespace ecsd;
using namespace ecsd::engine;

namespace {

struct Fixture {
  task::Task task;
  task::ContainerModel c;
  ContainerInputs in;
  Fixture() {
    task.network_mode = task::NetworkMode::none;
    c.name = "web";
    c.image = "busybox";
    in.image.cmd = {"/bin/sh"};
    in.image.env = {"PATH=/bin", "FOO=image"};
    auto base = runtime::docker_default_spec(runtime::KernelVersion{6, 1});
    EXPECT_TRUE(base) << base.error().message;
    in.base = *base;
    in.rootfs = "/tmp/rootfs";
    in.passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
    in.group = "root:x:0:\napp:x:1000:\nextra:x:2000:app\n";
    in.cgroups_path = "ecsd/t/web";
    in.hostname = "abc123";
    in.host_bounding = *runtime::caps_to_mask({"CAP_CHOWN", "CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_KILL", "CAP_SETUID",
                                               "CAP_SETGID", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                                               "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETPCAP",
                                               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE"});
  }
  Result<runtime::Spec> build() {
    task.containers = {c};
    in.task = &task;
    in.container = &task.containers[0];
    return build_container_spec(in);
  }
};

bool has_ns(const runtime::Spec& s, const char* type) { return s.has_namespace(type); }
const runtime::Mount* find_mount(const runtime::Spec& s, const std::string& dst) {
  for (const auto& m : s.mounts)
    if (m.destination == dst) return &m;
  return nullptr;
}
bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST(EffectiveArgs, DockerEntrypointAndCmdRules) {
  image::ImageConfig img;
  img.entrypoint = {"/entry"};
  img.cmd = {"--default"};
  task::ContainerModel c;
  EXPECT_EQ(effective_args(c, img), (std::vector<std::string>{"/entry", "--default"}));
  c.command = std::vector<std::string>{"--mine"};
  EXPECT_EQ(effective_args(c, img), (std::vector<std::string>{"/entry", "--mine"}));
  c.command.reset();
  c.entry_point = std::vector<std::string>{"/other"};
  // An explicit entryPoint drops the image's Cmd.
  EXPECT_EQ(effective_args(c, img), (std::vector<std::string>{"/other"}));
  c.command = std::vector<std::string>{"x"};
  EXPECT_EQ(effective_args(c, img), (std::vector<std::string>{"/other", "x"}));
  c.entry_point = std::vector<std::string>{};
  EXPECT_EQ(effective_args(c, img), (std::vector<std::string>{"x"}));
}

TEST(CpuShares, FloorOfTwo) {
  EXPECT_EQ(cpu_shares(0), 2u);
  EXPECT_EQ(cpu_shares(1), 2u);
  EXPECT_EQ(cpu_shares(2), 2u);
  EXPECT_EQ(cpu_shares(512), 512u);
  EXPECT_EQ(cpu_shares(1 << 20), 262144u);
}

TEST(StopSignal, ImageStopSignalOrSigterm) {
  image::ImageConfig img;
  EXPECT_EQ(stop_signal(img), SIGTERM);
  img.stop_signal = "SIGQUIT";
  EXPECT_EQ(stop_signal(img), SIGQUIT);
  img.stop_signal = "9";
  EXPECT_EQ(stop_signal(img), SIGKILL);
}

TEST(EnvFile, ParsesAndNamesBadLines) {
  auto r = parse_env_file("# c\nA=1\n\nB=two=2\r\n", "/f.env");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"A=1", "B=two=2"}));
  auto bad = parse_env_file("A=1\nnovalue\n", "/f.env");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("/f.env line 2"), std::string::npos);
}

TEST(DeviceAccess, Permissions) {
  EXPECT_EQ(device_access({}), "rwm");
  EXPECT_EQ(device_access({"read"}), "r");
  EXPECT_EQ(device_access({"read", "write"}), "rw");
  EXPECT_EQ(device_access({"mknod", "read"}), "mr");
}

TEST(BuildSpec, Defaults) {
  Fixture f;
  auto s = f.build();
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->process.args, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(s->process.user.uid, 0u);
  EXPECT_EQ(s->process.cwd, "/");
  EXPECT_EQ(s->root.path, "/tmp/rootfs");
  EXPECT_FALSE(s->root.readonly);
  EXPECT_EQ(s->hostname, "abc123");
  EXPECT_EQ(s->linux.cgroups_path, "ecsd/t/web");
  ASSERT_TRUE(s->linux.resources && s->linux.resources->cpu);
  EXPECT_EQ(s->linux.resources->cpu->shares, 2u);
  EXPECT_FALSE(s->linux.resources->memory);
  EXPECT_TRUE(has_ns(*s, "network"));
  EXPECT_TRUE(has(s->process.env, "PATH=/bin"));
  EXPECT_TRUE(has(s->process.env, "HOSTNAME=abc123"));
  EXPECT_TRUE(has(s->process.env, "HOME=/root"));
  EXPECT_TRUE(s->linux.seccomp.has_value());
}

TEST(BuildSpec, EnvironmentPrecedence) {
  Fixture f;
  f.in.env_files = {"FOO=file", "BAR=file"};
  f.c.environment = {{"BAR", "container"}, {"HOME", "/custom"}};
  auto s = f.build();
  ASSERT_TRUE(s);
  EXPECT_TRUE(has(s->process.env, "FOO=file"));
  EXPECT_TRUE(has(s->process.env, "BAR=container"));
  EXPECT_TRUE(has(s->process.env, "HOME=/custom"));
  EXPECT_FALSE(has(s->process.env, "FOO=image"));
}

TEST(BuildSpec, MemoryCpuUlimitsReadonlyWorkdir) {
  Fixture f;
  f.c.cpu = 512;
  f.c.memory_mib = 256;
  f.c.memory_reservation_mib = 128;
  f.c.linux_parameters.max_swap_mib = 64;
  f.c.ulimits = {{"nofile", 1024, 2048}};
  f.c.readonly_root_filesystem = true;
  f.c.working_directory = "/srv";
  auto s = f.build();
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->linux.resources->cpu->shares, 512u);
  EXPECT_EQ(s->linux.resources->memory->limit, 256 * kMiB);
  EXPECT_EQ(s->linux.resources->memory->reservation, 128 * kMiB);
  EXPECT_EQ(s->linux.resources->memory->swap, 320 * kMiB);
  bool found = false;
  for (const auto& r : s->process.rlimits)
    if (r.type == "RLIMIT_NOFILE") {
      found = true;
      EXPECT_EQ(r.soft, 1024u);
      EXPECT_EQ(r.hard, 2048u);
    }
  EXPECT_TRUE(found);
  EXPECT_TRUE(s->root.readonly);
  EXPECT_EQ(s->process.cwd, "/srv");
}

TEST(BuildSpec, UserFromContainerOrImage) {
  Fixture f;
  f.in.image.user = "app";
  auto s = f.build();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->process.user.uid, 1000u);
  EXPECT_EQ(s->process.user.additional_gids, (std::vector<uint32_t>{2000}));
  EXPECT_TRUE(has(s->process.env, "HOME=/home/app"));
  f.c.user = "1234:5678";
  s = f.build();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->process.user.uid, 1234u);
  EXPECT_EQ(s->process.user.gid, 5678u);
  f.c.user = "ghost";
  s = f.build();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message.rfind("user: ", 0), 0u) << s.error().message;
}

TEST(BuildSpec, NoCommandIsAnError) {
  Fixture f;
  f.in.image.cmd.clear();
  auto s = f.build();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("command"), std::string::npos);
}

TEST(BuildSpec, RelativeWorkdirIsAnError) {
  Fixture f;
  f.c.working_directory = "srv";
  auto s = f.build();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("workingDirectory"), std::string::npos);
}

TEST(BuildSpec, HostNetworkHasNoNetworkNamespace) {
  Fixture f;
  f.in.host_network = true;
  auto s = f.build();
  ASSERT_TRUE(s);
  EXPECT_FALSE(has_ns(*s, "network"));
  EXPECT_TRUE(has_ns(*s, "uts"));
}

TEST(BuildSpec, CapabilitiesAddDrop) {
  Fixture f;
  f.c.linux_parameters.cap_add = {"NET_ADMIN"};
  f.c.linux_parameters.cap_drop = {"CHOWN", "NET_RAW"};
  auto s = f.build();
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(s->process.capabilities);
  const auto& b = s->process.capabilities->bounding;
  EXPECT_TRUE(has(b, "CAP_NET_ADMIN"));
  EXPECT_FALSE(has(b, "CAP_CHOWN"));
  EXPECT_FALSE(has(b, "CAP_NET_RAW"));
  EXPECT_TRUE(has(b, "CAP_KILL"));
  EXPECT_EQ(s->process.capabilities->effective, b);
  f.c.linux_parameters.cap_add = {"NOT_A_CAP"};
  s = f.build();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("linuxParameters.capabilities"), std::string::npos);
}

TEST(BuildSpec, PrivilegedGetsHostBoundingSetAndNoSeccomp) {
  Fixture f;
  f.c.privileged = true;
  auto s = f.build();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->process.capabilities);
  EXPECT_TRUE(has(s->process.capabilities->bounding, "CAP_SYS_ADMIN"));
  EXPECT_FALSE(s->linux.seccomp.has_value());
  EXPECT_TRUE(s->linux.masked_paths.empty());
}

TEST(BuildSpec, ShmTmpfsInitFilesLabelsMounts) {
  Fixture f;
  f.c.linux_parameters.shared_memory_size_mib = 128;
  f.c.linux_parameters.tmpfs = {{"/scratch", 16, {"noexec"}}};
  f.c.linux_parameters.init_process_enabled = true;
  f.in.init_path = "/usr/lib/ecsd/ecsd-init";
  f.in.resolv_conf_path = "/d/resolv.conf";
  f.in.hosts_path = "/d/hosts";
  f.in.hostname_path = "/d/hostname";
  f.in.mounts = {{"/host/data", "/data", true}};
  f.c.docker_labels = {{"team", "a"}};
  auto s = f.build();
  ASSERT_TRUE(s) << s.error().message;
  auto* shm = find_mount(*s, "/dev/shm");
  ASSERT_TRUE(shm);
  EXPECT_TRUE(has(shm->options, "size=131072k"));
  auto* tmp = find_mount(*s, "/scratch");
  ASSERT_TRUE(tmp);
  EXPECT_EQ(tmp->type, "tmpfs");
  EXPECT_TRUE(has(tmp->options, "size=16384k"));
  EXPECT_TRUE(has(tmp->options, "noexec"));
  EXPECT_EQ(s->process.args, (std::vector<std::string>{kInitPath, "--", "/bin/sh"}));
  auto* init = find_mount(*s, kInitPath);
  ASSERT_TRUE(init);
  EXPECT_EQ(init->source, "/usr/lib/ecsd/ecsd-init");
  auto* resolv = find_mount(*s, "/etc/resolv.conf");
  ASSERT_TRUE(resolv);
  EXPECT_EQ(resolv->source, "/d/resolv.conf");
  ASSERT_TRUE(find_mount(*s, "/etc/hosts"));
  ASSERT_TRUE(find_mount(*s, "/etc/hostname"));
  auto* data = find_mount(*s, "/data");
  ASSERT_TRUE(data);
  EXPECT_TRUE(has(data->options, "ro"));
  EXPECT_EQ(s->annotations.at("team"), "a");
}

TEST(BuildSpec, DevicesAddNodesAndCgroupRules) {
  Fixture f;
  task::DeviceMapping dm;
  dm.host_path = "/dev/fuse";
  dm.container_path = "/dev/fuse";
  dm.permissions = {"read", "write"};
  f.c.linux_parameters.devices = {dm};
  runtime::Device d;
  d.type = "c";
  d.path = "/dev/fuse";
  d.major = 10;
  d.minor = 229;
  f.in.devices = {d};
  auto s = f.build();
  ASSERT_TRUE(s) << s.error().message;
  bool node = false;
  for (const auto& x : s->linux.devices) node |= x.path == "/dev/fuse";
  EXPECT_TRUE(node);
  const auto& rules = s->linux.resources->devices;
  ASSERT_FALSE(rules.empty());
  EXPECT_EQ(rules.back().major, 10);
  EXPECT_EQ(rules.back().access, "rw");
}
