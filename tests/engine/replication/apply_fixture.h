// The fixture of the per-family applier tests: a harness (keyspace + applier) and the two checks
// every family uses.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tests/engine/replication/apply_test_util.h"

namespace redlink::testing {

class ApplyFamilyTest : public ::testing::Test {
 protected:
  void Ok(const Args& a) { ASSERT_TRUE(h.Apply(a).ok()) << a[0] << ": " << h.Apply(a); }
  // Expects an error whose message starts with `prefix`, and no change to the dataset.
  void Fails(const Args& a, std::string_view prefix) {
    std::string before = h.Snapshot(snapshot_options_);
    absl::Status s = h.Apply(a);
    ASSERT_FALSE(s.ok()) << a[0];
    EXPECT_EQ(std::string(s.message()).substr(0, prefix.size()), prefix) << s;
    EXPECT_EQ(h.Snapshot(snapshot_options_), before);
  }
  SnapshotOptions snapshot_options_;
  ApplyHarness h;
};

}  // namespace redlink::testing
