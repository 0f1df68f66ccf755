#pragma once
// Geohash helpers of the GEO commands (internal): Redis's 52-bit interleaved encoding
// (latitude bits at even positions), area decoding, neighbors and haversine distances.

#include <cstdint>

namespace redlink::engine::cmd::geo {

constexpr int kStepMax = 26;
constexpr double kLatMin = -85.05112878;
constexpr double kLatMax = 85.05112878;
constexpr double kEarthRadius = 6372797.560856;
constexpr double kMercatorMax = 20037726.37;

struct Range {
  double min, max;
};
struct Area {
  Range lon, lat;
};

uint64_t Interleave(uint32_t even, uint32_t odd);
void Deinterleave(uint64_t v, uint32_t* even, uint32_t* odd);
bool Encode(const Range& lon_r, const Range& lat_r, double lon, double lat, int step,
            uint64_t* bits);
Area Decode(uint64_t bits, int step, const Range& lon_r, const Range& lat_r);
bool DecodeScore(double score, double* lon, double* lat);
double DegRad(double a);
double RadDeg(double a);
double LatDistance(double lat1, double lat2);
double Distance(double lon1, double lat1, double lon2, double lat2);

}  // namespace redlink::engine::cmd::geo
