// Test helper: starts tests/fixtures/controlplane/controlplane.py (moto + the
// ECS additions + IMDS + ACS) and talks to it: its recorded state, faults,
// and the real AWS CLI pointed at it.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/aws/credentials.h"
#include "agent/aws/http.h"
#include "tests/unit/aws/child_process.h"

namespace ecsd::testing {

class ControlPlane {
 public:
  explicit ControlPlane(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> argv{"python3", std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/controlplane/controlplane.py"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    proc_ = std::make_unique<ChildProcess>(argv);
    port = proc_->wait_for("PORT", std::chrono::seconds(120));
    acs_port = proc_->wait_for("ACS_PORT");
    instance_id = proc_->wait_for("INSTANCE_ID");
    cli_key = proc_->wait_for("CLI_ACCESS_KEY");
    cli_secret = proc_->wait_for("CLI_SECRET_KEY");
    ready = proc_->wait_for("READY") == "1";
    url = "http://127.0.0.1:" + port;
  }

  bool ready = false;
  std::string port, acs_port, instance_id, cli_key, cli_secret, url;

  nlohmann::json state() const {
    aws::HttpRequest r;
    r.url = url + "/_cp/state";
    auto resp = aws::http_send(r);
    if (!resp || resp->status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(resp->body);
  }
  void post(const std::string& path, const nlohmann::json& body = nlohmann::json::object()) const {
    aws::HttpRequest r;
    r.method = "POST";
    r.url = url + path;
    r.body = body.dump();
    (void)aws::http_send(r);
  }
  void faults(const nlohmann::json& f) const { post("/_cp/faults", f); }

  // Runs `aws --endpoint-url URL --region us-east-1 --output json ARGS`;
  // returns stdout parsed (null on failure; *status gets the exit status).
  nlohmann::json aws_cli(const std::string& args, int* status = nullptr) const {
    std::string cmd = "env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID=" + cli_key + " AWS_SECRET_ACCESS_KEY=" + cli_secret +
                      " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null"
                      " aws --endpoint-url " + url + " --region us-east-1 --output json " + args + " 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
    int st = pclose(p.release());
    if (status) *status = st;
    if (out.empty()) return nullptr;
    return nlohmann::json::parse(out, nullptr, false);
  }

  // A credentials chain holding the CLI's static keys (valid for this control plane).
  std::shared_ptr<aws::CredentialsChain> static_credentials() const {
    std::vector<std::unique_ptr<aws::CredentialsProvider>> v;
    v.push_back(std::make_unique<aws::StaticProvider>(aws::Credentials{cli_key, cli_secret, "", std::nullopt, "test"}));
    return std::make_shared<aws::CredentialsChain>(std::move(v));
  }
  // The instance-profile chain through this control plane's IMDS.
  std::shared_ptr<aws::CredentialsChain> imds_credentials() const {
    std::vector<std::unique_ptr<aws::CredentialsProvider>> v;
    v.push_back(std::make_unique<aws::InstanceProfileProvider>(std::make_shared<aws::ImdsClient>(url)));
    return std::make_shared<aws::CredentialsChain>(std::move(v));
  }

 private:
  std::unique_ptr<ChildProcess> proc_;
};

}  // namespace ecsd::testing
