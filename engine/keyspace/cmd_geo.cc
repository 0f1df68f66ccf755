// GEO read commands over sorted sets whose scores are 52-bit interleaved geohashes (WGS84:
// longitude -180..180, latitude -85.05112878..85.05112878): GEOPOS GEODIST GEOHASH, and
// GEOSEARCH / GEORADIUS_RO / GEORADIUSBYMEMBER_RO, which find candidates in the 9 geohash boxes
// around the center exactly as Redis does (so unsorted replies come in Redis's order).
#include "engine/keyspace/cmd_geo.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/common/pqsort.h"
#include "engine/common/strings.h"
#include "engine/encoding/listpack.h"
#include "engine/keyspace/cmd_common.h"
#include "engine/keyspace/zset.h"

namespace redlink::engine::cmd {
namespace geo {

uint64_t Interleave(uint32_t even, uint32_t odd) {
  uint64_t r = 0;
  for (int i = 0; i < 32; ++i) {
    r |= static_cast<uint64_t>((even >> i) & 1) << (2 * i);
    r |= static_cast<uint64_t>((odd >> i) & 1) << (2 * i + 1);
  }
  return r;
}

void Deinterleave(uint64_t v, uint32_t* even, uint32_t* odd) {
  uint32_t e = 0, o = 0;
  for (int i = 0; i < 32; ++i) {
    e |= static_cast<uint32_t>((v >> (2 * i)) & 1) << i;
    o |= static_cast<uint32_t>((v >> (2 * i + 1)) & 1) << i;
  }
  *even = e;
  *odd = o;
}

bool Encode(const Range& lon_r, const Range& lat_r, double lon, double lat, int step,
            uint64_t* bits) {
  if (lon > 180 || lon < -180 || lat > kLatMax || lat < kLatMin) return false;
  if (lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max) return false;
  double lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min);
  double lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min);
  lat_off *= static_cast<double>(1ULL << step);
  lon_off *= static_cast<double>(1ULL << step);
  *bits = Interleave(static_cast<uint32_t>(lat_off), static_cast<uint32_t>(lon_off));
  return true;
}

Area Decode(uint64_t bits, int step, const Range& lon_r, const Range& lat_r) {
  uint32_t ilat, ilon;
  Deinterleave(bits, &ilat, &ilon);
  Area a;
  double lat_scale = lat_r.max - lat_r.min;
  double lon_scale = lon_r.max - lon_r.min;
  a.lat.min = lat_r.min + (ilat * 1.0 / static_cast<double>(1ULL << step)) * lat_scale;
  a.lat.max = lat_r.min + ((ilat + 1) * 1.0 / static_cast<double>(1ULL << step)) * lat_scale;
  a.lon.min = lon_r.min + (ilon * 1.0 / static_cast<double>(1ULL << step)) * lon_scale;
  a.lon.max = lon_r.min + ((ilon + 1) * 1.0 / static_cast<double>(1ULL << step)) * lon_scale;
  return a;
}

bool DecodeScore(double score, double* lon, double* lat) {
  uint64_t bits = static_cast<uint64_t>(score);
  Area a = Decode(bits, kStepMax, Range{-180, 180}, Range{kLatMin, kLatMax});
  double x = (a.lon.min + a.lon.max) / 2;
  if (x > 180) x = 180;
  if (x < -180) x = -180;
  double y = (a.lat.min + a.lat.max) / 2;
  if (y > kLatMax) y = kLatMax;
  if (y < kLatMin) y = kLatMin;
  *lon = x;
  *lat = y;
  return true;
}

double DegRad(double a) { return a * (M_PI / 180.0); }
double RadDeg(double a) { return a / (M_PI / 180.0); }

double LatDistance(double lat1, double lat2) {
  return kEarthRadius * std::fabs(DegRad(lat2) - DegRad(lat1));
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double lon1r = DegRad(lon1), lon2r = DegRad(lon2);
  double v = std::sin((lon2r - lon1r) / 2);
  if (v == 0.0) return LatDistance(lat1, lat2);
  double lat1r = DegRad(lat1), lat2r = DegRad(lat2);
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadius * std::asin(std::sqrt(a));
}

}  // namespace geo

// Redis's addReplyHumanLongDouble: "%.17Lf" without trailing zeros (RESP3: a double).
void ReplyHumanDouble(Ctx& c, double d) {
  char buf[5 * 1024];
  int l = snprintf(buf, sizeof(buf), "%.17Lf", static_cast<long double>(d));
  if (std::strchr(buf, '.') != nullptr) {
    char* p = buf + l - 1;
    while (*p == '0') {
      --p;
      --l;
    }
    if (*p == '.') --l;
  }
  if (l == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    l = 1;
  }
  std::string_view s(buf, static_cast<size_t>(l));
  if (c.resp() >= 3) {
    c.w.out()->append(",");
    c.w.out()->append(s);
    c.w.out()->append("\r\n");
  } else {
    c.w.Bulk(s);
  }
}

// Redis's addReplyDoubleDistance: fixed point with 4 decimals (llrint of value * 10^4).
void ReplyDistance(Ctx& c, double d) {
  if (d == 0) {
    c.w.Bulk("0.0000");
    return;
  }
  long long v = llrint(d * 10000.0);
  bool neg = v < 0;
  unsigned long long u =
      neg ? 0ULL - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
  std::string digits = std::to_string(u);
  if (digits.size() < 5) digits.insert(0, 5 - digits.size(), '0');
  std::string out = StrCat(neg ? "-" : "", digits.substr(0, digits.size() - 4), ".",
                           digits.substr(digits.size() - 4));
  c.w.Bulk(out);
}

bool UnitOrReply(Ctx& c, std::string_view u, double* to_meter) {
  std::string_view cu = u.substr(0, u.find('\0'));
  if (EqCase(cu, "m")) {
    *to_meter = 1;
  } else if (EqCase(cu, "km")) {
    *to_meter = 1000;
  } else if (EqCase(cu, "ft")) {
    *to_meter = 0.3048;
  } else if (EqCase(cu, "mi")) {
    *to_meter = 1609.34;
  } else {
    c.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
    return false;
  }
  return true;
}

void GeoposCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e != nullptr && !CheckType(c, e, ObjType::kZset)) return;
  c.w.ArrayHeader(c.argc() - 2);
  for (size_t j = 2; j < c.argc(); ++j) {
    double score, lon, lat;
    if (e == nullptr || !zset::Score(e, c[j], &score) || !geo::DecodeScore(score, &lon, &lat)) {
      c.w.NullArray();
      continue;
    }
    c.w.ArrayHeader(2);
    ReplyHumanDouble(c, lon);
    ReplyHumanDouble(c, lat);
  }
}

void GeodistCmd(Ctx& c) {
  double to_meter = 1;
  if (c.argc() == 5) {
    if (!UnitOrReply(c, c[4], &to_meter)) return;
  } else if (c.argc() > 5) {
    c.Syntax();
    return;
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  double s1, s2;
  if (!zset::Score(e, c[2], &s1) || !zset::Score(e, c[3], &s2)) {
    c.w.Null();
    return;
  }
  double x1, y1, x2, y2;
  geo::DecodeScore(s1, &x1, &y1);
  geo::DecodeScore(s2, &x2, &y2);
  ReplyDistance(c, geo::Distance(x1, y1, x2, y2) / to_meter);
}

void GeohashCmd(Ctx& c) {
  static const char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  KeyEntry* e = c.Lookup(c[1]);
  if (e != nullptr && !CheckType(c, e, ObjType::kZset)) return;
  c.w.ArrayHeader(c.argc() - 2);
  for (size_t j = 2; j < c.argc(); ++j) {
    double score, lon, lat;
    if (e == nullptr || !zset::Score(e, c[j], &score) || !geo::DecodeScore(score, &lon, &lat)) {
      c.w.Null();
      continue;
    }
    uint64_t bits = 0;
    geo::Encode(geo::Range{-180, 180}, geo::Range{-90, 90}, lon, lat, geo::kStepMax, &bits);
    char buf[11];
    for (int i = 0; i < 11; ++i) {
      int idx = i == 10 ? 0 : static_cast<int>((bits >> (52 - ((i + 1) * 5))) & 0x1f);
      buf[i] = kAlphabet[idx];
    }
    c.w.Bulk(std::string_view(buf, 11));
  }
}

// ---- GEOSEARCH / GEORADIUS_RO / GEORADIUSBYMEMBER_RO ------------------------------------------

namespace {

struct Hash {
  uint64_t bits = 0;
  int step = 0;
  bool zero() const { return bits == 0 && step == 0; }
};

struct Shape {
  bool circle = true;
  double lon = 0, lat = 0;
  double conversion = 1;
  double radius = 0;
  double width = 0, height = 0;
};

struct Point {
  double lon, lat, dist, score;
  std::string member;
};

const geo::Range kLonRange{-180, 180};
const geo::Range kLatRange{geo::kLatMin, geo::kLatMax};

void MoveX(Hash* h, int d) {
  if (d == 0) return;
  uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaULL;
  uint64_t y = h->bits & 0x5555555555555555ULL;
  uint64_t zz = 0x5555555555555555ULL >> (64 - h->step * 2);
  if (d > 0) {
    x = x + (zz + 1);
  } else {
    x = x | zz;
    x = x - (zz + 1);
  }
  x &= (0xaaaaaaaaaaaaaaaaULL >> (64 - h->step * 2));
  h->bits = x | y;
}

void MoveY(Hash* h, int d) {
  if (d == 0) return;
  uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaULL;
  uint64_t y = h->bits & 0x5555555555555555ULL;
  uint64_t zz = 0xaaaaaaaaaaaaaaaaULL >> (64 - h->step * 2);
  if (d > 0) {
    y = y + (zz + 1);
  } else {
    y = y | zz;
    y = y - (zz + 1);
  }
  y &= (0x5555555555555555ULL >> (64 - h->step * 2));
  h->bits = x | y;
}

Hash Neighbor(Hash h, int dx, int dy) {
  MoveX(&h, dx);
  MoveY(&h, dy);
  return h;
}

int EstimateSteps(double range_meters, double lat) {
  if (range_meters == 0) return 26;
  int step = 1;
  while (range_meters < geo::kMercatorMax) {
    range_meters *= 2;
    ++step;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    --step;
    if (lat > 80 || lat < -80) --step;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

// The center box and its 8 neighbors (zeroed when they cannot intersect), as
// geohashCalculateAreasByShapeWGS84 computes them; order: center, N, S, E, W, NE, NW, SE, SW.
std::vector<Hash> SearchBoxes(const Shape& s) {
  double height = s.conversion * (s.circle ? s.radius : s.height / 2);
  double width = s.conversion * (s.circle ? s.radius : s.width / 2);
  double lat_delta = geo::RadDeg(height / geo::kEarthRadius);
  double lon_delta_top =
      geo::RadDeg(width / geo::kEarthRadius / std::cos(geo::DegRad(s.lat + lat_delta)));
  double lon_delta_bottom =
      geo::RadDeg(width / geo::kEarthRadius / std::cos(geo::DegRad(s.lat - lat_delta)));
  bool south = s.lat < 0;
  double min_lon = south ? s.lon - lon_delta_bottom : s.lon - lon_delta_top;
  double max_lon = south ? s.lon + lon_delta_bottom : s.lon + lon_delta_top;
  double min_lat = s.lat - lat_delta;
  double max_lat = s.lat + lat_delta;
  double radius_m =
      s.circle ? s.radius
               : std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radius_m *= s.conversion;
  int steps = EstimateSteps(radius_m, s.lat);
  auto compute = [&](int st, Hash* center, Hash nb[8], geo::Area* area) {
    center->step = st;
    center->bits = 0;
    geo::Encode(kLonRange, kLatRange, s.lon, s.lat, st, &center->bits);
    nb[0] = Neighbor(*center, 0, 1);    // north
    nb[1] = Neighbor(*center, 0, -1);   // south
    nb[2] = Neighbor(*center, 1, 0);    // east
    nb[3] = Neighbor(*center, -1, 0);   // west
    nb[4] = Neighbor(*center, 1, 1);    // north east
    nb[5] = Neighbor(*center, -1, 1);   // north west
    nb[6] = Neighbor(*center, 1, -1);   // south east
    nb[7] = Neighbor(*center, -1, -1);  // south west
    *area = geo::Decode(center->bits, st, kLonRange, kLatRange);
  };
  Hash center;
  Hash nb[8];
  geo::Area area;
  compute(steps, &center, nb, &area);
  bool decrease = false;
  {
    geo::Area n = geo::Decode(nb[0].bits, nb[0].step, kLonRange, kLatRange);
    geo::Area so = geo::Decode(nb[1].bits, nb[1].step, kLonRange, kLatRange);
    geo::Area e = geo::Decode(nb[2].bits, nb[2].step, kLonRange, kLatRange);
    geo::Area w = geo::Decode(nb[3].bits, nb[3].step, kLonRange, kLatRange);
    if (n.lat.max < max_lat) decrease = true;
    if (so.lat.min > min_lat) decrease = true;
    if (e.lon.max < max_lon) decrease = true;
    if (w.lon.min > min_lon) decrease = true;
  }
  if (steps > 1 && decrease) {
    --steps;
    compute(steps, &center, nb, &area);
  }
  if (steps >= 2) {
    if (area.lat.min < min_lat) nb[1] = nb[7] = nb[6] = Hash{};
    if (area.lat.max > max_lat) nb[0] = nb[4] = nb[5] = Hash{};
    if (area.lon.min < min_lon) nb[3] = nb[7] = nb[5] = Hash{};
    if (area.lon.max > max_lon) nb[2] = nb[6] = nb[4] = Hash{};
  }
  return {center, nb[0], nb[1], nb[2], nb[3], nb[4], nb[5], nb[6], nb[7]};
}

bool WithinShape(const Shape& s, double score, double* lon, double* lat, double* dist) {
  geo::DecodeScore(score, lon, lat);
  if (s.circle) {
    *dist = geo::Distance(s.lon, s.lat, *lon, *lat);
    return *dist <= s.radius * s.conversion;
  }
  double w = s.width * s.conversion, h = s.height * s.conversion;
  if (geo::LatDistance(*lat, s.lat) > h / 2) return false;
  if (geo::Distance(*lon, *lat, s.lon, *lat) > w / 2) return false;
  *dist = geo::Distance(s.lon, s.lat, *lon, *lat);
  return true;
}

// Members with min <= score < max, in rank order (stopping at `limit` points if non-zero).
void PointsInRange(KeyEntry* e, double min, double max, const Shape& s, std::vector<Point>* out,
                   size_t limit) {
  auto visit = [&](std::string_view m, double score) {
    if (score >= max) return false;
    Point p;
    p.score = score;
    if (WithinShape(s, score, &p.lon, &p.lat, &p.dist)) {
      p.member = std::string(m);
      out->push_back(std::move(p));
    }
    return !(limit != 0 && out->size() >= limit);
  };
  if (obj::Enc(e) == Encoding::kListpack) {
    listpack::Reader r(listpack::View(static_cast<const char*>(obj::Ptr(e))));
    listpack::Entry m, sc;
    char buf[24];
    while (r.Next(&m) && r.Next(&sc)) {
      double score = zset::LpScore(sc.sval.data(), sc.sval.size(), sc.is_int, sc.ival);
      if (score < min) continue;
      if (!visit(m.AsString(buf), score)) return;
    }
    return;
  }
  const ZTree& t = static_cast<BigZset*>(obj::Ptr(e))->tree();
  uint64_t first = t.LowerBound([&](const ZNode* n) { return n->score >= min; });
  for (ZTree::Cursor c = t.At(first); c.valid(); c.Next()) {
    if (!visit(ZMember(c.node()), c.node()->score)) return;
  }
}

bool LonLatOrReply(Ctx& c, std::string_view a, std::string_view b, double* lon, double* lat) {
  if (!GetDouble(c, a, lon) || !GetDouble(c, b, lat)) return false;
  if (*lon < -180 || *lon > 180 || *lat < geo::kLatMin || *lat > geo::kLatMax) {
    char buf[256];
    snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    c.Error(buf);
    return false;
  }
  return true;
}

bool DistanceOrReply(Ctx& c, std::string_view d, std::string_view unit, double* conversion,
                     double* radius) {
  if (!GetDouble(c, d, radius, "need numeric radius")) return false;
  if (*radius < 0) {
    c.Error("ERR radius cannot be negative");
    return false;
  }
  return UnitOrReply(c, unit, conversion);
}

bool MemberLonLat(KeyEntry* e, std::string_view m, double* lon, double* lat) {
  double score;
  if (!zset::Score(e, m, &score)) return false;
  return geo::DecodeScore(score, lon, lat);
}

enum GeoFlags { kRadiusCoords = 1, kRadiusMember = 2, kSearch = 4 };

void GeoSearchGeneric(Ctx& c, size_t src, int flags) {
  KeyEntry* e = c.Lookup(c[src]);
  if (e != nullptr && !CheckType(c, e, ObjType::kZset)) return;
  size_t base = 0;
  Shape shape;
  if (flags & kRadiusCoords) {
    base = 6;
    if (!LonLatOrReply(c, c[2], c[3], &shape.lon, &shape.lat)) return;
    if (!DistanceOrReply(c, c[4], c[5], &shape.conversion, &shape.radius)) return;
  } else if ((flags & kRadiusMember) && e == nullptr) {
    base = 5;
  } else if (flags & kRadiusMember) {
    base = 5;
    if (!MemberLonLat(e, c[2], &shape.lon, &shape.lat)) {
      c.Error("ERR could not decode requested zset member");
      return;
    }
    if (!DistanceOrReply(c, c[3], c[4], &shape.conversion, &shape.radius)) return;
  } else {
    base = 2;
  }
  bool withdist = false, withhash = false, withcoord = false, any = false;
  bool frommember = false, fromloc = false, byradius = false, bybox = false;
  int sort = 0;  // 0 none, 1 asc, 2 desc
  int64_t count = 0;
  size_t remaining = c.argc() - base;
  for (size_t i = 0; i < remaining; ++i) {
    std::string_view arg = c[base + i];
    if (EqCase(arg, "withdist")) {
      withdist = true;
    } else if (EqCase(arg, "withhash")) {
      withhash = true;
    } else if (EqCase(arg, "withcoord")) {
      withcoord = true;
    } else if (EqCase(arg, "any")) {
      any = true;
    } else if (EqCase(arg, "asc")) {
      sort = 1;
    } else if (EqCase(arg, "desc")) {
      sort = 2;
    } else if (EqCase(arg, "count") && i + 1 < remaining) {
      if (!GetLL(c, c[base + i + 1], &count)) return;
      if (count <= 0) {
        c.Error("ERR COUNT must be > 0");
        return;
      }
      ++i;
    } else if (EqCase(arg, "frommember") && i + 1 < remaining && (flags & kSearch) && !fromloc) {
      if (e != nullptr && !MemberLonLat(e, c[base + i + 1], &shape.lon, &shape.lat)) {
        c.Error("ERR could not decode requested zset member");
        return;
      }
      frommember = true;
      ++i;
    } else if (EqCase(arg, "fromlonlat") && i + 2 < remaining && (flags & kSearch) && !frommember) {
      if (!LonLatOrReply(c, c[base + i + 1], c[base + i + 2], &shape.lon, &shape.lat)) return;
      fromloc = true;
      i += 2;
    } else if (EqCase(arg, "byradius") && i + 2 < remaining && (flags & kSearch) && !bybox) {
      if (!DistanceOrReply(c, c[base + i + 1], c[base + i + 2], &shape.conversion, &shape.radius)) {
        return;
      }
      shape.circle = true;
      byradius = true;
      i += 2;
    } else if (EqCase(arg, "bybox") && i + 3 < remaining && (flags & kSearch) && !byradius) {
      double w, h;
      if (!GetDouble(c, c[base + i + 1], &w, "need numeric width") ||
          !GetDouble(c, c[base + i + 2], &h, "need numeric height")) {
        return;
      }
      if (h < 0 || w < 0) {
        c.Error("ERR height or width cannot be negative");
        return;
      }
      if (!UnitOrReply(c, c[base + i + 3], &shape.conversion)) return;
      shape.circle = false;
      shape.width = w;
      shape.height = h;
      bybox = true;
      i += 3;
    } else {
      c.Syntax();
      return;
    }
  }
  std::string_view cmdname = c[0].substr(0, c[0].find('\0'));
  if ((flags & kSearch) && !(frommember || fromloc)) {
    c.Error(StrCat("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ", cmdname));
    return;
  }
  if ((flags & kSearch) && !(byradius || bybox)) {
    c.Error(StrCat("ERR exactly one of BYRADIUS and BYBOX can be specified for ", cmdname));
    return;
  }
  if (any && count == 0) {
    c.Error("ERR the ANY argument requires COUNT argument");
    return;
  }
  if (e == nullptr) {
    c.w.ArrayHeader(0);
    return;
  }
  if (count != 0 && sort == 0 && !any) sort = 1;
  std::vector<Hash> boxes = SearchBoxes(shape);
  std::vector<Point> points;
  size_t limit = any ? static_cast<size_t>(count) : 0;
  int last = -1;
  for (int i = 0; i < 9; ++i) {
    if (boxes[i].zero()) continue;
    if (last >= 0 && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step) {
      continue;
    }
    if (!points.empty() && limit != 0 && points.size() >= limit) break;
    uint64_t min = boxes[i].bits << (52 - boxes[i].step * 2);
    uint64_t max = (boxes[i].bits + 1) << (52 - boxes[i].step * 2);
    PointsInRange(e, static_cast<double>(min), static_cast<double>(max), shape, &points, limit);
    last = i;
  }
  if (points.empty()) {
    c.w.ArrayHeader(0);
    return;
  }
  size_t returned = (count == 0 || points.size() < static_cast<size_t>(count))
                        ? points.size()
                        : static_cast<size_t>(count);
  if (sort != 0) {
    // sort_gp_asc / sort_gp_desc; all matches: qsort (glibc's is a stable merge sort); fewer:
    // Redis's pqsort, which orders equal distances its own way.
    auto cmp = [&](const Point& a, const Point& b) {
      int r = a.dist == b.dist ? 0 : (a.dist > b.dist ? 1 : -1);
      return sort == 1 ? r : -r;
    };
    RedisSort(points, returned != points.size(), 0, static_cast<ptrdiff_t>(returned) - 1, cmp);
  }
  size_t opts = (withdist ? 1 : 0) + (withcoord ? 1 : 0) + (withhash ? 1 : 0);
  c.w.ArrayHeader(returned);
  for (size_t i = 0; i < returned; ++i) {
    Point& p = points[i];
    p.dist /= shape.conversion;
    if (opts) c.w.ArrayHeader(opts + 1);
    c.w.Bulk(p.member);
    if (withdist) ReplyDistance(c, p.dist);
    if (withhash) c.w.Integer(static_cast<int64_t>(p.score));
    if (withcoord) {
      c.w.ArrayHeader(2);
      ReplyHumanDouble(c, p.lon);
      ReplyHumanDouble(c, p.lat);
    }
  }
}

}  // namespace

void GeosearchCmd(Ctx& c) { GeoSearchGeneric(c, 1, kSearch); }
void GeoradiusRoCmd(Ctx& c) { GeoSearchGeneric(c, 1, kRadiusCoords); }
void GeoradiusbymemberRoCmd(Ctx& c) { GeoSearchGeneric(c, 1, kRadiusMember); }

}  // namespace redlink::engine::cmd
