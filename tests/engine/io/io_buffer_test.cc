#include "engine/io/io_buffer.h"

#include <gtest/gtest.h>

namespace redlink::engine {
namespace {

TEST(IoBufferTest, AppendConsumeCompactAndCap) {
  IoBuffer buf(64 * 1024);
  EXPECT_TRUE(buf.empty());
  EXPECT_EQ(buf.capacity(), 0u);  // an idle connection holds no memory
  buf.Append("hello world");
  EXPECT_EQ(buf.Readable(), "hello world");
  buf.Consume(6);
  EXPECT_EQ(buf.Readable(), "world");
  buf.Consume(5);
  EXPECT_TRUE(buf.empty());
  buf.ReleaseIfEmpty();
  EXPECT_EQ(buf.capacity(), 0u);
  // Fill to the cap; one byte more is refused and changes nothing.
  ASSERT_TRUE(buf.Reserve(64 * 1024));
  buf.Commit(64 * 1024);
  EXPECT_FALSE(buf.Reserve(1));
  EXPECT_EQ(buf.size(), 64u * 1024);
  // Consuming most of it makes room again by compaction, not growth.
  buf.Consume(60 * 1024);
  ASSERT_TRUE(buf.Reserve(1024));
  EXPECT_LE(buf.capacity(), 64u * 1024);
  EXPECT_EQ(buf.size(), 4u * 1024);
}

}  // namespace
}  // namespace redlink::engine
