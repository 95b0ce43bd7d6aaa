// SPDX-License-Identifier: GPL-2.0-or-later
// NSS without a database for the whole test binary.
#include <gtest/gtest.h>

#include "util/NssContext.hpp"

namespace {

class NssTestEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto context = ikemesh::NssContext::initWithoutDatabase();
    ASSERT_TRUE(context.ok()) << context.error().message;
    context_ = std::move(*context);
  }
  void TearDown() override { context_.reset(); }

 private:
  std::unique_ptr<ikemesh::NssContext> context_;
};

[[maybe_unused]] ::testing::Environment* const environment =
    ::testing::AddGlobalTestEnvironment(new NssTestEnvironment);

}  // namespace
