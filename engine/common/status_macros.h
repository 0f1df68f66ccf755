#pragma once
// RETURN_IF_ERROR / ASSIGN_OR_RETURN: Abseil 20220623 does not ship them.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define REDLINK_CONCAT_INNER(a, b) a##b
#define REDLINK_CONCAT(a, b) REDLINK_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status redlink_status_ = (expr);           \
    if (!redlink_status_.ok()) return redlink_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  REDLINK_ASSIGN_OR_RETURN_IMPL(REDLINK_CONCAT(redlink_statusor_, __LINE__), lhs, expr)

#define REDLINK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()
