// EmbeddingsClient against sg-fake-llm: batched inputs come back as one vector each, in order and
// deterministic; transient errors are retried; request errors are not; cancellation completes once.
#include "worker/embeddings_client.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/fake_llm.h"
#include "support/test_loop.h"

namespace sg {
namespace {

class EmbeddingsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.ok()) << fake_.logText();
    auto config = std::make_shared<LlmConfig>();
    config->base_url = fake_.baseUrl();
    config->embedding_model = "fake/embed";
    config->retry_base_ms = 5;
    config->retry_max_ms = 50;
    config->max_retries = 2;
    multi_ = std::make_unique<CurlMulti>(loop_.get());
    client_ = std::make_unique<EmbeddingsClient>(*multi_, config);
  }
  void TearDown() override {
    client_.reset();
    multi_.reset();
    std::string leftovers;
    EXPECT_EQ(loop_.close(&leftovers), 0) << leftovers;
  }
  EmbeddingsResult embed(std::vector<std::string> inputs) {
    EmbeddingsResult out;
    int calls = 0;
    client_->embed(std::move(inputs), [&](EmbeddingsResult result) {
      ++calls;
      out = std::move(result);
    });
    EXPECT_EQ(calls, 0);  // never inside embed()
    EXPECT_TRUE(loop_.runUntil([&] { return calls > 0; }));
    EXPECT_EQ(calls, 1);
    return out;
  }

  test::TestLoop loop_;
  test::FakeLlm fake_{{"--embedding-dim", "8"}};
  std::unique_ptr<CurlMulti> multi_;
  std::unique_ptr<EmbeddingsClient> client_;
};

TEST_F(EmbeddingsClientTest, EmbedsABatchInOrder) {
  EmbeddingsResult result = embed({"alpha", "beta", "alpha"});
  ASSERT_TRUE(result.ok()) << result.message;
  ASSERT_EQ(result.vectors.size(), 3u);
  EXPECT_EQ(result.vectors[0].size(), 8u);
  EXPECT_EQ(result.vectors[0], result.vectors[2]);
  EXPECT_NE(result.vectors[0], result.vectors[1]);
  double norm = 0;
  for (float v : result.vectors[1]) norm += static_cast<double>(v) * v;
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_EQ(result.model, "fake/embed");
  EXPECT_TRUE(result.usage.reported);
  auto bodies = fake_.bodies("/v1/embeddings");
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(cJSON_GetArraySize(jsonField(bodies[0].get(), "input")), 3);
  EXPECT_EQ(jsonString(bodies[0].get(), "model"), "fake/embed");
}

TEST_F(EmbeddingsClientTest, RetriesTransientErrorsOnly) {
  ASSERT_TRUE(fake_.script(
      R"({"match":{"path":"/v1/embeddings"},"status":429,"headers":{"Retry-After":"0"}})"));
  EmbeddingsResult retried = embed({"x"});
  ASSERT_TRUE(retried.ok()) << retried.message;
  EXPECT_EQ(retried.attempts, 2u);
  ASSERT_TRUE(fake_.script(R"({"match":{"path":"/v1/embeddings"},"status":400})"));
  EmbeddingsResult refused = embed({"x"});
  EXPECT_EQ(refused.error, ChatError::kClientError);
  EXPECT_EQ(refused.attempts, 1u);
  ASSERT_TRUE(
      fake_.script(R"({"match":{"path":"/v1/embeddings"},"body":"{\"data\":[]}","times":-1})"));
  EmbeddingsResult short_answer = embed({"x"});
  EXPECT_EQ(short_answer.error, ChatError::kMalformed);
  EXPECT_EQ(short_answer.attempts, 3u);
}

TEST_F(EmbeddingsClientTest, RefusesEmptyBatchesWithoutSending) {
  EXPECT_EQ(embed({}).error, ChatError::kInvalidRequest);
  EXPECT_TRUE(fake_.bodies("/v1/embeddings").empty());
}

TEST_F(EmbeddingsClientTest, CancelCompletesOnce) {
  ASSERT_TRUE(fake_.script(R"({"match":{"path":"/v1/embeddings"},"stall":"before_headers"})"));
  int calls = 0;
  EmbeddingsResult out;
  uint64_t id = client_->embed({"x"}, [&](EmbeddingsResult result) {
    ++calls;
    out = std::move(result);
  });
  ASSERT_TRUE(loop_.runUntil([&] { return fake_.stat("active") == 1; }, 10000, 5));
  EXPECT_TRUE(client_->cancel(id));
  EXPECT_EQ(multi_->transfers(), 0u);
  ASSERT_TRUE(loop_.runUntil([&] { return calls == 1; }));
  EXPECT_EQ(out.error, ChatError::kCancelled);
}

}  // namespace
}  // namespace sg
