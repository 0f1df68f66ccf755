#include "engine/protocol/resp_writer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "engine/common/strings.h"

namespace redlink::engine {
namespace {

void AppendLen(std::string* out, char type, int64_t n) {
  char buf[32];
  buf[0] = type;
  char* end = absl::numbers_internal::FastIntToBuffer(n, buf + 1);
  out->append(buf, end - buf);
  out->append("\r\n", 2);
}

void AppendBulk(std::string* out, std::string_view s) {
  AppendLen(out, '$', static_cast<int64_t>(s.size()));
  out->append(s);
  out->append("\r\n", 2);
}

}  // namespace

void AppendCommand(std::string* out, std::initializer_list<std::string_view> args) {
  AppendCommand(out, std::span<const std::string_view>(args.begin(), args.size()));
}

void AppendCommand(std::string* out, std::span<const std::string_view> args) {
  AppendLen(out, '*', static_cast<int64_t>(args.size()));
  for (auto a : args) AppendBulk(out, a);
}

std::string FormatDouble(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (std::isnan(value)) return "nan";
  // Redis 7.0's d2string: integers in (-2^52, 2^52) as integers, everything else "%.17g".
  char buf[64];
  if (value > -4503599627370495.0 && value < 4503599627370496.0 &&
      value == static_cast<double>(static_cast<int64_t>(value))) {
    snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value));
  } else {
    snprintf(buf, sizeof(buf), "%.17g", value);
  }
  return buf;
}

void ReplyWriter::Simple(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyWriter::Error(std::string_view s) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(s);
  // An error is one line: CR and LF from user input become spaces, as Redis maps them.
  for (size_t i = start; i < out_->size(); ++i) {
    char& ch = (*out_)[i];
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  out_->append("\r\n", 2);
}

void ReplyWriter::Integer(int64_t v) { AppendLen(out_, ':', v); }

void ReplyWriter::Bulk(std::string_view s) { AppendBulk(out_, s); }

void ReplyWriter::Null() { out_->append(protocol_ >= 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::NullArray() { out_->append(protocol_ >= 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::Double(double v) {
  if (protocol_ >= 3) {
    out_->push_back(',');
    out_->append(FormatDouble(v));
    out_->append("\r\n", 2);
  } else {
    AppendBulk(out_, FormatDouble(v));
  }
}

void ReplyWriter::Boolean(bool v) {
  if (protocol_ >= 3) {
    out_->append(v ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(v ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::Verbatim(std::string_view s, std::string_view format) {
  if (protocol_ >= 3) {
    AppendLen(out_, '=', static_cast<int64_t>(s.size() + 4));
    out_->append(format);
    out_->push_back(':');
    out_->append(s);
    out_->append("\r\n", 2);
  } else {
    AppendBulk(out_, s);
  }
}

void ReplyWriter::ArrayHeader(size_t n) { AppendLen(out_, '*', static_cast<int64_t>(n)); }

void ReplyWriter::MapHeader(size_t pairs) {
  if (protocol_ >= 3) {
    AppendLen(out_, '%', static_cast<int64_t>(pairs));
  } else {
    AppendLen(out_, '*', static_cast<int64_t>(pairs * 2));
  }
}

void ReplyWriter::SetHeader(size_t n) {
  AppendLen(out_, protocol_ >= 3 ? '~' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::PushHeader(size_t n) {
  AppendLen(out_, protocol_ >= 3 ? '>' : '*', static_cast<int64_t>(n));
}

}  // namespace redlink::engine
