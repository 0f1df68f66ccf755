// What grpcurl does, with nothing but the server address: list the services over server
// reflection, describe redlink.v1.LinkService and grpc.health.v1.Health from the
// FileDescriptorProtos the server sends, and drive a link through create -> streaming -> pause
// -> resume -> delete against a real redis-server master with calls built at run time
// (DescriptorPool + DynamicMessageFactory + JSON requests + grpc::GenericStub).
//
// The client side uses no generated redlink code (RedlinkdProcess only starts the process and
// waits for it to be healthy). Reflection and health need no token; LinkService gets it as
// `grpcurl -H 'authorization: Bearer <token>'` would send it.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

namespace pb = google::protobuf;
namespace refl = grpc::reflection::v1alpha;

constexpr char kToken[] = "reflection-test-token";

// A grpcurl-like client: reflection to learn the schema, JSON in, JSON out.
class DynamicClient {
 public:
  explicit DynamicClient(const std::string& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        reflection_(refl::ServerReflection::NewStub(channel_)),
        generic_(channel_) {}

  // `grpcurl list`.
  std::vector<std::string> ListServices() {
    refl::ServerReflectionRequest req;
    req.set_list_services("");
    refl::ServerReflectionResponse resp = Ask(req);
    std::vector<std::string> out;
    for (const auto& s : resp.list_services_response().service()) out.push_back(s.name());
    return out;
  }

  // Loads the file that defines `symbol` and every file it depends on into the pool.
  const pb::ServiceDescriptor* Describe(const std::string& symbol) {
    if (auto* s = pool_.FindServiceByName(symbol)) return s;
    refl::ServerReflectionRequest req;
    req.set_file_containing_symbol(symbol);
    AddFiles(Ask(req));
    return pool_.FindServiceByName(symbol);
  }

  struct Reply {
    grpc::Status status;
    std::string json;
    std::unique_ptr<pb::Message> message;
  };

  // `grpcurl -d '<json>' [-H authorization...] <addr> <service>/<method>`.
  Reply Call(const std::string& service, const std::string& method, const std::string& json,
             const std::string& token = "") {
    Reply r;
    const pb::ServiceDescriptor* sd = Describe(service);
    if (!sd) {
      r.status = grpc::Status(grpc::StatusCode::NOT_FOUND, "no service " + service);
      return r;
    }
    const pb::MethodDescriptor* md = sd->FindMethodByName(method);
    if (!md) {
      r.status = grpc::Status(grpc::StatusCode::NOT_FOUND, "no method " + method);
      return r;
    }
    std::unique_ptr<pb::Message> request(factory_.GetPrototype(md->input_type())->New());
    auto parsed = pb::util::JsonStringToMessage(json, request.get());
    if (!parsed.ok()) {
      r.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, parsed.ToString());
      return r;
    }
    std::string bytes = request->SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer send(&slice, 1), recv;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", std::string("Bearer ") + token);
    std::promise<grpc::Status> done;
    generic_.UnaryCall(&ctx, "/" + service + "/" + method, grpc::StubOptions(), &send, &recv,
                       [&done](grpc::Status s) { done.set_value(s); });
    r.status = done.get_future().get();
    if (!r.status.ok()) return r;
    std::vector<grpc::Slice> slices;
    (void)recv.Dump(&slices);
    std::string out;
    for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
    r.message.reset(factory_.GetPrototype(md->output_type())->New());
    if (!r.message->ParseFromString(out)) {
      r.status = grpc::Status(grpc::StatusCode::INTERNAL, "cannot parse the reply");
      return r;
    }
    pb::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    (void)pb::util::MessageToJsonString(*r.message, &r.json, opts);
    return r;
  }

  // A field of a reply, read by name through reflection ("state" -> "LINK_STATE_STREAMING").
  static std::string Field(const pb::Message& m, const std::string& name) {
    const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
    if (!f) return "<no field " + name + ">";
    const pb::Reflection* r = m.GetReflection();
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        return r->GetEnum(m, f)->name();
      case pb::FieldDescriptor::CPPTYPE_STRING:
        return r->GetString(m, f);
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        return std::to_string(r->GetUInt64(m, f));
      case pb::FieldDescriptor::CPPTYPE_INT64:
        return std::to_string(r->GetInt64(m, f));
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        return r->GetBool(m, f) ? "true" : "false";
      default:
        return "<unsupported>";
    }
  }

 private:
  refl::ServerReflectionResponse Ask(const refl::ServerReflectionRequest& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stream = reflection_->ServerReflectionInfo(&ctx);
    refl::ServerReflectionResponse resp;
    EXPECT_TRUE(stream->Write(req));
    stream->WritesDone();
    EXPECT_TRUE(stream->Read(&resp));
    while (stream->Read(&resp)) {
    }
    grpc::Status s = stream->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(resp.has_error_response()) << resp.error_response().error_message();
    return resp;
  }

  // Adds the files of a reflection answer, fetching any dependency it did not include.
  void AddFiles(const refl::ServerReflectionResponse& resp) {
    std::map<std::string, pb::FileDescriptorProto> files;
    for (const auto& bytes : resp.file_descriptor_response().file_descriptor_proto()) {
      pb::FileDescriptorProto fd;
      ASSERT_TRUE(fd.ParseFromString(bytes));
      files[fd.name()] = fd;
    }
    // Add in dependency order.
    std::function<void(const std::string&)> add = [&](const std::string& name) {
      if (pool_.FindFileByName(name)) return;
      auto it = files.find(name);
      if (it == files.end()) {
        refl::ServerReflectionRequest req;
        req.set_file_by_filename(name);
        refl::ServerReflectionResponse more = Ask(req);
        for (const auto& bytes : more.file_descriptor_response().file_descriptor_proto()) {
          pb::FileDescriptorProto fd;
          ASSERT_TRUE(fd.ParseFromString(bytes));
          files[fd.name()] = fd;
        }
        it = files.find(name);
        ASSERT_NE(it, files.end()) << "the server does not know " << name;
      }
      pb::FileDescriptorProto fd = it->second;
      for (const auto& dep : fd.dependency()) add(dep);
      ASSERT_NE(pool_.BuildFile(fd), nullptr) << "cannot build " << name;
    };
    std::vector<std::string> names;
    for (const auto& [name, fd] : files) names.push_back(name);
    for (const auto& name : names) add(name);
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<refl::ServerReflection::Stub> reflection_;
  grpc::GenericStub generic_;
  pb::DescriptorPool pool_;  // only what the server described
  pb::DynamicMessageFactory factory_{&pool_};
};

class ReflectionClientTest : public ::testing::Test {
 protected:
  static RedlinkdProcess::Options Opts() {
    RedlinkdProcess::Options o;
    o.token = kToken;
    return o;
  }
  void SetUp() override { ASSERT_TRUE(redlink_.ok()) << redlink_.log(); }
  std::string Address() const { return "127.0.0.1:" + std::to_string(redlink_.grpc_port()); }
  RedlinkdProcess redlink_{Opts()};
};

TEST_F(ReflectionClientTest, ListsAndDescribesWithoutAToken) {
  DynamicClient client(Address());
  std::vector<std::string> services = client.ListServices();
  std::set<std::string> names(services.begin(), services.end());
  EXPECT_TRUE(names.count("redlink.v1.LinkService")) << ::testing::PrintToString(services);
  EXPECT_TRUE(names.count("grpc.health.v1.Health")) << ::testing::PrintToString(services);
  EXPECT_TRUE(names.count("grpc.reflection.v1alpha.ServerReflection"))
      << ::testing::PrintToString(services);

  const pb::ServiceDescriptor* links = client.Describe("redlink.v1.LinkService");
  ASSERT_NE(links, nullptr);
  struct Expect {
    const char* method;
    const char* input;
    const char* output;
    bool server_streaming;
  } methods[] = {
      {"CreateLink", "redlink.v1.CreateLinkRequest", "redlink.v1.Link", false},
      {"GetLink", "redlink.v1.GetLinkRequest", "redlink.v1.Link", false},
      {"ListLinks", "redlink.v1.ListLinksRequest", "redlink.v1.ListLinksResponse", false},
      {"UpdateLink", "redlink.v1.UpdateLinkRequest", "redlink.v1.Link", false},
      {"SetLinkAuth", "redlink.v1.SetLinkAuthRequest", "redlink.v1.Link", false},
      {"PauseLink", "redlink.v1.PauseLinkRequest", "redlink.v1.Link", false},
      {"ResumeLink", "redlink.v1.ResumeLinkRequest", "redlink.v1.Link", false},
      {"DeleteLink", "redlink.v1.DeleteLinkRequest", "google.protobuf.Empty", false},
      {"WatchLinks", "redlink.v1.WatchLinksRequest", "redlink.v1.LinkEvent", true},
  };
  EXPECT_EQ(links->method_count(), 9);
  for (const auto& m : methods) {
    const pb::MethodDescriptor* md = links->FindMethodByName(m.method);
    ASSERT_NE(md, nullptr) << m.method;
    EXPECT_EQ(md->input_type()->full_name(), m.input) << m.method;
    EXPECT_EQ(md->output_type()->full_name(), m.output) << m.method;
    EXPECT_EQ(md->server_streaming(), m.server_streaming) << m.method;
    EXPECT_FALSE(md->client_streaming()) << m.method;
  }
  // `grpcurl describe redlink.v1.Link`: the fields API.md names are there.
  const pb::Descriptor* link = links->file()->pool()->FindMessageTypeByName("redlink.v1.Link");
  ASSERT_NE(link, nullptr);
  for (const char* f :
       {"link_id", "master", "auth", "state", "state_since", "last_error", "master_replid",
        "master_repl_offset", "full_syncs", "partial_syncs", "connect_attempts", "rdb",
        "commands_applied", "keys", "dataset_bytes", "last_io_at", "create_time"}) {
    EXPECT_NE(link->FindFieldByName(f), nullptr) << f;
  }
  const pb::EnumDescriptor* state =
      links->file()->pool()->FindEnumTypeByName("redlink.v1.LinkState");
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->value_count(), 11);

  const pb::ServiceDescriptor* health = client.Describe("grpc.health.v1.Health");
  ASSERT_NE(health, nullptr);
  ASSERT_NE(health->FindMethodByName("Check"), nullptr);
  EXPECT_EQ(health->FindMethodByName("Check")->input_type()->full_name(),
            "grpc.health.v1.HealthCheckRequest");
  // Health answers without a token; LinkService does not.
  auto h = client.Call("grpc.health.v1.Health", "Check", "{}");
  ASSERT_TRUE(h.status.ok()) << h.status.error_message();
  EXPECT_EQ(DynamicClient::Field(*h.message, "status"), "SERVING");
  auto denied = client.Call("redlink.v1.LinkService", "ListLinks", "{}");
  EXPECT_EQ(denied.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ReflectionClientTest, DrivesALinkThroughItsLife) {
  RedisServer master({"--repl-diskless-sync-delay", "0"});
  ASSERT_TRUE(master.ok());
  ASSERT_EQ(master.Cmd({"SET", "greeting", "hello"}), "OK");
  DynamicClient client(Address());
  const std::string svc = "redlink.v1.LinkService";

  auto created = client.Call(svc, "CreateLink",
                             R"({"link_id": "cache-a", "master": {"host": "127.0.0.1", "port": )" +
                                 std::to_string(master.port()) + "}}",
                             kToken);
  ASSERT_TRUE(created.status.ok()) << created.status.error_message();
  EXPECT_EQ(DynamicClient::Field(*created.message, "link_id"), "cache-a");
  EXPECT_NE(created.json.find("\"link_id\":\"cache-a\""), std::string::npos) << created.json;

  auto state_of = [&](std::string* json = nullptr) {
    auto r = client.Call(svc, "GetLink", R"({"link_id": "cache-a"})", kToken);
    if (!r.status.ok()) return "error: " + r.status.error_message();
    if (json) *json = r.json;
    return DynamicClient::Field(*r.message, "state");
  };
  std::string json;
  ASSERT_TRUE(
      WaitFor([&] { return state_of(&json) == "LINK_STATE_STREAMING"; }, std::chrono::seconds(30)))
      << state_of() << " " << json;
  EXPECT_NE(json.find("\"full_syncs\":\"1\""), std::string::npos) << json;
  // The dataset is readable on the RESP endpoint.
  RespClient reader = redlink_.ReadClient("cache-a");
  EXPECT_EQ(reader.Command({"GET", "greeting"}), "hello");

  auto paused = client.Call(svc, "PauseLink", R"({"link_id": "cache-a"})", kToken);
  ASSERT_TRUE(paused.status.ok()) << paused.status.error_message();
  EXPECT_EQ(DynamicClient::Field(*paused.message, "state"), "LINK_STATE_PAUSED");
  EXPECT_EQ(reader.Command({"GET", "greeting"}), "hello") << "reads work while paused";
  auto again = client.Call(svc, "PauseLink", R"({"link_id": "cache-a"})", kToken);
  ASSERT_TRUE(again.status.ok()) << "idempotent: " << again.status.error_message();
  EXPECT_EQ(DynamicClient::Field(*again.message, "state"), "LINK_STATE_PAUSED");

  auto resumed = client.Call(svc, "ResumeLink", R"({"link_id": "cache-a"})", kToken);
  ASSERT_TRUE(resumed.status.ok()) << resumed.status.error_message();
  ASSERT_TRUE(
      WaitFor([&] { return state_of() == "LINK_STATE_STREAMING"; }, std::chrono::seconds(30)))
      << state_of();
  EXPECT_EQ(master.InfoField("stats", "sync_full"), "1") << "resume did not full-sync again";

  auto deleted = client.Call(svc, "DeleteLink", R"({"link_id": "cache-a"})", kToken);
  ASSERT_TRUE(deleted.status.ok()) << deleted.status.error_message();
  EXPECT_EQ(deleted.message->GetDescriptor()->full_name(), "google.protobuf.Empty");
  auto gone = client.Call(svc, "GetLink", R"({"link_id": "cache-a"})", kToken);
  EXPECT_EQ(gone.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(gone.status.error_message().find("cache-a"), std::string::npos);
  // The master no longer lists the replica.
  EXPECT_TRUE(WaitFor([&] { return master.InfoField("replication", "connected_slaves") == "0"; }));
}

}  // namespace
}  // namespace redlink::testing
