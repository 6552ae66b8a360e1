#include "cost_model.h"

#include <algorithm>
#include <limits>

namespace onnxcut {

double StageTimes::bottleneck() const { return std::max({dev, up, cloud, down}); }

double StageTimes::throughputFps() const {
  const double b = bottleneck();
  return b > 0 ? 1000.0 / b : std::numeric_limits<double>::infinity();
}

bool isValidPlan(const PlanGraph& g, const DeviceSet& on_device) {
  for (const auto& t : g.tensors) {
    const bool made_on_device = t.producer < 0 || on_device[t.producer];
    for (int c : t.consumers) {
      if (on_device[c] && !made_on_device) return false;  // would come back down
      if (!on_device[c] && made_on_device && !t.size_known) return false;  // can't be sent
    }
    if (t.is_output && !t.size_known && !made_on_device) return false;
  }
  return true;
}

PlanFigures planFigures(const PlanGraph& g, const NodeCosts& c, const DeviceSet& on_device,
                        Precision p) {
  PlanFigures f;
  for (int v = 0; v < g.num_nodes; ++v) {
    if (on_device[v]) {
      f.device_ms += c.device_ms[v];
    } else {
      f.cloud_ms += c.cloud_ms[v];
      f.uses_cloud = true;
    }
  }
  for (const auto& t : g.tensors) {
    const bool made_on_device = t.producer < 0 || on_device[t.producer];
    if (made_on_device) {
      const bool read_on_cloud = std::any_of(t.consumers.begin(), t.consumers.end(),
                                             [&](int v) { return !on_device[v]; });
      if (read_on_cloud) {
        f.up_bytes += sentBytes(t, p);
        f.up_bytes_fp32 += t.bytes;
      }
    } else if (t.is_output) {
      f.down_bytes += t.bytes;
    }
  }
  return f;
}

StageTimes stageTimes(const PlanFigures& f, const Network& net) {
  StageTimes s;
  s.dev = f.device_ms;
  s.cloud = net.load * f.cloud_ms;
  s.up = transferMs(f.up_bytes, net.up_mbps);
  s.down = transferMs(f.down_bytes, net.downMbps());
  s.rtt = f.uses_cloud ? net.rtt_ms : 0.0;
  return s;
}

Line latencyLine(const PlanFigures& f, const Network& net) {
  Line l;
  l.a = f.device_ms + net.load * f.cloud_ms + (f.uses_cloud ? net.rtt_ms : 0.0);
  double per_mbps_bytes = f.up_bytes;  // bytes whose time scales with 1/up
  if (net.down_mbps) {
    l.a += transferMs(f.down_bytes, *net.down_mbps);
  } else {
    per_mbps_bytes += f.down_bytes;
  }
  l.b = transferMs(per_mbps_bytes, 1.0);
  return l;
}

}  // namespace onnxcut
