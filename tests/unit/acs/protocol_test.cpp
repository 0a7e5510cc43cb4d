#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent/acs/protocol.h"
#include "agent/aws/url.h"

using namespace ecsd::acs;

namespace {

struct Recorder : SessionHandler {
  std::vector<nlohmann::json> tasks;
  std::vector<std::string> running;
  std::vector<std::string> stopped;
  void on_tasks(const std::vector<nlohmann::json>& t) override { tasks.insert(tasks.end(), t.begin(), t.end()); }
  std::vector<std::string> running_task_arns() override { return running; }
  void stop_tasks(const std::vector<std::string>& arns) override { stopped.insert(stopped.end(), arns.begin(), arns.end()); }
};

nlohmann::json reply(const Outcome& o, size_t i) { return nlohmann::json::parse(o.replies.at(i)); }

nlohmann::json reference_task() {
  std::ifstream f(std::string(ECSD_SOURCE_DIR) + "/tests/fixtures/controlplane/reference/acs-payload-example.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::json::parse(ss.str());
}

}  // namespace

TEST(AcsProtocol, HeartbeatIsAcknowledged) {
  Recorder r;
  Protocol p("bars", "arn:ci", r);
  auto o = p.handle(R"({"type":"HeartbeatMessage","message":{"healthy":true,"messageId":"hb-1"}})");
  ASSERT_EQ(o.replies.size(), 1u);
  EXPECT_EQ(reply(o, 0), nlohmann::json::parse(R"({"type":"HeartbeatAckRequest","message":{"messageId":"hb-1"}})"));
  EXPECT_EQ(o.next, Next::stay);
}

TEST(AcsProtocol, PayloadGoesToTheHandlerThenIsAcked) {
  Recorder r;
  Protocol p("bars", "arn:ci", r);
  nlohmann::json msg{{"type", "PayloadMessage"},
                     {"message",
                      {{"messageId", "m-1"}, {"seqNum", 7}, {"clusterArn", "arn:cluster"}, {"tasks", {reference_task()}}}}};
  auto o = p.handle(msg.dump());
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(r.tasks[0]["arn"], reference_task()["arn"]);
  ASSERT_EQ(o.replies.size(), 1u);
  // The Go agent's ack: cluster, containerInstance, messageId.
  EXPECT_EQ(reply(o, 0), nlohmann::json::parse(
                             R"({"type":"AckRequest","message":{"cluster":"bars","containerInstance":"arn:ci","messageId":"m-1"}})"));
  EXPECT_EQ(p.seq_num(), 7);
  // A re-sent payload (not acked before a drop) is acked again but not re-run.
  auto again = p.handle(msg.dump());
  EXPECT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(again.replies.size(), 1u);
  EXPECT_EQ(p.payloads(), 1u);
}

TEST(AcsProtocol, ManifestLeadsToStopVerification) {
  Recorder r;
  r.running = {"arn:task/a", "arn:task/b", "arn:task/c"};
  Protocol p("bars", "arn:ci", r);
  auto o = p.handle(R"({"type":"TaskManifestMessage","message":{"messageId":"man-1","clusterArn":"arn:cluster",
      "tasks":[{"taskArn":"arn:task/a","desiredStatus":"RUNNING"},{"taskArn":"arn:task/b","desiredStatus":"STOPPED"}]}})");
  ASSERT_EQ(o.replies.size(), 2u);
  EXPECT_EQ(reply(o, 0)["type"], "AckRequest");
  EXPECT_EQ(reply(o, 0)["message"]["messageId"], "man-1");
  auto v = reply(o, 1);
  EXPECT_EQ(v["type"], "TaskStopVerificationMessage");
  std::vector<std::string> cands;
  for (const auto& c : v["message"]["stopCandidates"]) cands.push_back(c["taskArn"]);
  EXPECT_EQ(cands, (std::vector<std::string>{"arn:task/b", "arn:task/c"}));
  EXPECT_TRUE(r.stopped.empty());
  p.handle(R"({"type":"TaskStopVerificationAck","message":{"messageId":"x","stopTasks":[{"taskArn":"arn:task/c"}]}})");
  EXPECT_EQ(r.stopped, (std::vector<std::string>{"arn:task/c"}));
}

TEST(AcsProtocol, CloseErrorsAndInactive) {
  Recorder r;
  Protocol p("bars", "arn:ci", r);
  EXPECT_EQ(p.handle(R"({"type":"CloseMessage","message":{"message":"ConnectionExpired"}})").next, Next::reconnect);
  EXPECT_EQ(p.handle(R"({"type":"ServerException","message":{"message":"boom"}})").next, Next::reconnect_backoff);
  EXPECT_EQ(p.handle(R"({"type":"ErrorMessage","message":{"message":"x"}})").next, Next::reconnect_backoff);
  EXPECT_EQ(p.handle(R"({"type":"InactiveInstanceException","message":{"message":"gone"}})").next, Next::inactive);
  auto junk = p.handle("not json");
  EXPECT_EQ(junk.next, Next::stay);
  EXPECT_TRUE(junk.replies.empty());
  auto unknown = p.handle(R"({"type":"PerformUpdateMessage","message":{}})");
  EXPECT_EQ(unknown.next, Next::stay);
  auto creds = p.handle(R"({"type":"IAMRoleCredentialsMessage","message":{"messageId":"c1","roleCredentials":{"credentialsId":"cid","expiration":"2026"}}})");
  ASSERT_EQ(creds.replies.size(), 1u);
  EXPECT_EQ(reply(creds, 0)["type"], "IAMRoleCredentialsAckRequest");
  EXPECT_EQ(reply(creds, 0)["message"]["credentialsId"], "cid");
}

TEST(AcsProtocol, UrlCarriesTheGoAgentsQueryParameters) {
  auto u = acs_url("https://ecs-a-1.us-east-1.amazonaws.com/", "bars",
                   "arn:aws:ecs:us-east-1:123456789012:container-instance/bars/abc", "0.1.0", "deadbeef",
                   "ecsd 0.1.0", 12, false);
  auto parsed = ecsd::aws::parse_url(u);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->scheme, "wss");
  EXPECT_EQ(parsed->host, "ecs-a-1.us-east-1.amazonaws.com");
  EXPECT_EQ(parsed->path, "/ws");
  EXPECT_EQ(parsed->query,
            "agentHash=deadbeef&agentVersion=0.1.0&clusterArn=bars&containerInstanceArn=arn%3Aaws%3Aecs%3Aus-east-1%"
            "3A123456789012%3Acontainer-instance%2Fbars%2Fabc&dockerVersion=ecsd%200.1.0&protocolVersion=2&"
            "sendCredentials=false&seqNum=12");
  EXPECT_EQ(acs_url("http://127.0.0.1:9000/", "c", "i", "v", "h", "d", 1, true).rfind("ws://127.0.0.1:9000/ws?", 0), 0u);
}
