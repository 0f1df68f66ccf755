#pragma once
// A contiguous byte buffer: [consumed | readable | append room]. Grows by doubling up to a hard
// cap; compacts (moves the readable bytes to the front) instead of growing when enough room was
// consumed. Loop thread of its owner only.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace redlink::engine {

class IoBuffer {
 public:
  explicit IoBuffer(size_t max_capacity) : max_capacity_(max_capacity) {}

  std::string_view Readable() const { return {data_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  size_t capacity() const { return capacity_; }
  size_t max_capacity() const { return max_capacity_; }

  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Makes room for at least `min_room` more bytes (growing toward `want_room` if that is
  // cheap). Returns false when that would exceed the cap; nothing changes then.
  bool Reserve(size_t min_room, size_t want_room = 0) {
    if (want_room < min_room) want_room = min_room;
    if (capacity_ - end_ >= want_room) return true;
    size_t used = end_ - begin_;
    if (begin_ > 0 && capacity_ - used >= want_room && begin_ >= used) {
      Compact();
      return true;
    }
    size_t need = used + min_room;
    if (need > max_capacity_) return false;
    size_t cap = capacity_ ? capacity_ : kInitialCapacity;
    while (cap < used + want_room && cap < max_capacity_) cap *= 2;
    if (cap > max_capacity_) cap = max_capacity_;
    if (cap < need) cap = need;
    auto fresh = std::make_unique<char[]>(cap);
    if (used) std::memcpy(fresh.get(), data_.get() + begin_, used);
    data_ = std::move(fresh);
    capacity_ = cap;
    begin_ = 0;
    end_ = used;
    return true;
  }

  char* WritePtr() { return data_.get() + end_; }
  size_t WriteRoom() const { return capacity_ - end_; }
  void Commit(size_t n) { end_ += n; }

  void Append(std::string_view s) {
    if (!Reserve(s.size())) return;
    std::memcpy(WritePtr(), s.data(), s.size());
    Commit(s.size());
  }

  void Clear() { begin_ = end_ = 0; }
  // Frees the storage when nothing is buffered (an idle connection keeps no memory).
  void ReleaseIfEmpty() {
    if (empty()) {
      data_.reset();
      capacity_ = begin_ = end_ = 0;
    }
  }

  static constexpr size_t kInitialCapacity = 16 * 1024;

 private:
  void Compact() {
    size_t used = end_ - begin_;
    std::memmove(data_.get(), data_.get() + begin_, used);
    begin_ = 0;
    end_ = used;
  }

  size_t max_capacity_;
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace redlink::engine
