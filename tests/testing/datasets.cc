#include "tests/testing/datasets.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace redlink::testing {

std::string PopulateMixedDataset(RedisServer& master) {
  const char* kScript = R"lua(
    local kind, from, to = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
    for i = from, to do
      if kind == 'str' then
        redis.call('SET', 'str:' .. i, 'value-' .. i .. string.rep('x', i % 50))
        if i % 7 == 0 then redis.call('SET', 'int:' .. i, i * 31) end
      elseif kind == 'hash' then
        local n = (i % 100 == 0) and 300 or 5
        for f = 1, n do redis.call('HSET', 'hash:' .. i, 'f' .. f, i * f) end
      elseif kind == 'list' then
        local n = (i % 100 == 0) and 500 or 6
        for e = 1, n do redis.call('RPUSH', 'list:' .. i, 'e' .. e .. ':' .. i) end
      elseif kind == 'set' then
        local n = (i % 100 == 0) and 600 or 4
        for m = 1, n do redis.call('SADD', 'set:' .. i, (i % 3 == 0) and m or ('m' .. m)) end
      elseif kind == 'zset' then
        local n = (i % 100 == 0) and 200 or 5
        for m = 1, n do redis.call('ZADD', 'zset:' .. i, m * 1.5 + i, 'm' .. m) end
      elseif kind == 'stream' then
        for e = 1, 3 do redis.call('XADD', 'stream:' .. i, '*', 'f', i, 'g', e) end
        if i % 10 == 0 then
          redis.call('XGROUP', 'CREATE', 'stream:' .. i, 'g1', '0')
          redis.call('XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', 2, 'STREAMS', 'stream:' .. i, '>')
        end
      end
      if i % 10 == 0 then
        redis.call('PEXPIREAT', kind .. ':' .. i, 4102444800000 + i)
      end
    end
    return 'OK'
  )lua";
  struct Part {
    const char* kind;
    int count;
  };
  RespClient c = master.Client();
  // str also writes int:<i> for every 7th i: 350,000 + 50,000 = 400,000 string keys.
  for (Part p : {Part{"str", 350000}, Part{"hash", 150000}, Part{"list", 150000},
                 Part{"set", 150000}, Part{"zset", 100000}, Part{"stream", 50000}}) {
    for (int from = 1; from <= p.count; from += 50000) {
      int to = std::min(p.count, from + 49999);
      std::string r =
          c.CommandRaw({"EVAL", kScript, "0", p.kind, std::to_string(from), std::to_string(to)},
                       std::chrono::seconds(300));
      if (r != "$2\r\nOK\r\n") return std::string("populate ") + p.kind + ": " + r;
    }
  }
  return "";
}

}  // namespace redlink::testing
