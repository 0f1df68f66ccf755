#pragma once
// RESP encoding: commands (what the link sends to a master) and replies (what the read endpoint
// sends to clients), in RESP2 or RESP3. Appends to a caller-owned std::string.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace redlink::engine {

// *N\r\n$len\r\narg\r\n... (what a Redis client sends).
void AppendCommand(std::string* out, std::initializer_list<std::string_view> args);
void AppendCommand(std::string* out, std::span<const std::string_view> args);

// Formats a double the way Redis 7.0 replies with it (RESP2 bulk / RESP3 double text): "%.17g",
// "inf" / "-inf", integers without a fraction.
std::string FormatDouble(double value);

// Reply encoder for one client connection. RESP2 degrades the RESP3-only types the way Redis
// does: null → $-1 (or *-1 for null arrays), map → flat array, set → array, double → bulk,
// boolean → integer 1/0, verbatim → bulk.
class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out, int protocol = 2) : out_(out), protocol_(protocol) {}
  void set_protocol(int protocol) { protocol_ = protocol; }
  int protocol() const { return protocol_; }
  std::string* out() { return out_; }

  void Simple(std::string_view s);  // +s
  void Error(std::string_view s);   // -s (its own prefix, e.g. "ERR ..."; CR/LF become spaces)
  void Integer(int64_t v);          // :v
  void Bulk(std::string_view s);    // $len s
  void Null();                      // $-1 / _
  void NullArray();                 // *-1 / _
  void Double(double v);            // bulk / ,
  void Boolean(bool v);             // :1 / #t
  void Verbatim(std::string_view s, std::string_view format = "txt");
  void ArrayHeader(size_t n);    // *n
  void MapHeader(size_t pairs);  // %n / *2n
  void SetHeader(size_t n);      // ~n / *n
  void PushHeader(size_t n);     // >n / *n
  void Ok() { Simple("OK"); }

 private:
  std::string* out_;
  int protocol_;
};

}  // namespace redlink::engine
