#!/usr/bin/env bash
# A shaped link on one machine (root; docs/wire.md, "Shaped link"): two
# network namespaces of their own, NAME-dev (10.77.X.1) and NAME-srv
# (10.77.X.2), joined by a veth pair whose two directions are limited with
# tc's tbf qdisc: the device's side shapes the uplink, the server's the
# downlink. Traffic stays inside these namespaces.
#
#   shaped_link.sh start  NAME UP_MBPS [DOWN_MBPS]   create (DOWN defaults to UP)
#   shaped_link.sh rate   NAME UP_MBPS [DOWN_MBPS]   change the rates now
#   shaped_link.sh replay NAME TRACE [MAX_SECONDS]   follow a Pensieve trace (seconds<TAB>Mbit/s),
#                                                    both directions, until its end or MAX_SECONDS
#   shaped_link.sh stop   NAME                       delete both namespaces (the veth goes with them)
#   shaped_link.sh dev|srv NAME CMD...               run CMD in the device's / server's namespace
#
# RTT: netem is not available on this kernel, so no delay is added; the
# link's own RTT (tens of microseconds) is what plans are made with.
set -euo pipefail
cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || { echo "usage: shaped_link.sh start|rate|replay|stop|dev|srv NAME ..." >&2; exit 2; }
[[ $name =~ ^[a-z0-9]{1,8}$ ]] || { echo "shaped_link: NAME is 1-8 lowercase letters or digits" >&2; exit 2; }
dev=$name-dev srv=$name-srv vd=${name}d vs=${name}s
net=$(( $(printf '%s' "$name" | cksum | cut -d' ' -f1) % 200 + 20 ))  # 10.77.<net>.0/24, per name

# tbf's bucket: 1 ms of traffic, at least two full packets. A larger bucket
# lets a transfer of about its size through faster than the rate (a 250 KB
# bucket made a 600 KB frame cross a 200 Mbit/s link at 267 Mbit/s).
shape() {  # shape NS IFACE MBPS verb
  local bytes=$(awk -v r="$3" 'BEGIN { b = r * 1e6 / 8 / 1000; if (b < 3100) b = 3100; printf "%d", b }')
  tc -n "$1" qdisc "$4" dev "$2" root tbf rate "${3}mbit" burst "$bytes" latency 400ms
}

case $cmd in
  start)
    up=${3:?UP_MBPS}; down=${4:-$up}
    ip netns add "$dev"; ip netns add "$srv"
    ip link add "$vd" type veth peer name "$vs"
    ip link set "$vd" netns "$dev"; ip link set "$vs" netns "$srv"
    ip -n "$dev" addr add "10.77.$net.1/24" dev "$vd"; ip -n "$srv" addr add "10.77.$net.2/24" dev "$vs"
    for ns in "$dev" "$srv"; do ip -n "$ns" link set lo up; done
    ip -n "$dev" link set "$vd" up; ip -n "$srv" link set "$vs" up
    # Segmentation offloads hand tbf packets of several MTUs. Besides making
    # the shaping coarse, such a packet queued under a fast rate's bucket can
    # never leave once `rate` shrinks the bucket below its size: tbf does not
    # re-split queued packets, so the link stalls for good (seen: 5 packets
    # of ~3.3 KB stuck behind a 3,100-byte bucket, no reply for 30 s). So
    # they are turned off, and the link is not made if that fails. That is
    # not enough on recent kernels: TCP builds multi-segment packets anyway
    # (segmented in software after the qdisc), and the stall came back
    # (1 run in 4); one segment per packet (gso_max_segs 1) is what keeps
    # every queued packet within the smallest bucket.
    for side in "$dev $vd" "$srv $vs"; do
      set -- $side
      ip -n "$1" link set dev "$2" gso_max_segs 1 ||
        { echo "shaped_link: cannot limit $2 to one segment per packet (gso_max_segs)" >&2; ip netns del "$dev"; ip netns del "$srv"; exit 1; }
    done
    command -v ethtool >/dev/null || { echo "shaped_link: ethtool not found (scripts/setup.sh installs it): needed to keep packets MTU-sized" >&2; ip netns del "$dev"; ip netns del "$srv"; exit 1; }
    for side in "$dev $vd" "$srv $vs"; do
      set -- $side
      ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 || true  # some are fixed; checked next
      ip netns exec "$1" ethtool -k "$2" | grep -qE '^(tcp-segmentation-offload|generic-segmentation-offload): on' &&
        { echo "shaped_link: cannot turn off segmentation offloads on $2" >&2; ip netns del "$dev"; ip netns del "$srv"; exit 1; }
    done
    shape "$dev" "$vd" "$up" add; shape "$srv" "$vs" "$down" add
    echo "10.77.$net.2"  # the server's address
    ;;
  rate)
    up=${3:?UP_MBPS}; down=${4:-$up}
    shape "$dev" "$vd" "$up" change; shape "$srv" "$vs" "$down" change
    ;;
  replay)
    trace=${3:?TRACE}; max=${4:-100000}
    start=$(date +%s.%N)
    while read -r t mbps _; do
      [[ $t =~ ^[0-9.]+$ && $mbps =~ ^[0-9.]+$ ]] || continue
      awk -v t="$t" -v m="$max" 'BEGIN { exit !(t > m) }' && break
      now=$(date +%s.%N)
      wait_s=$(awk -v s="$start" -v t="$t" -v n="$now" 'BEGIN { w = s + t - n; printf "%.3f", (w > 0 ? w : 0) }')
      sleep "$wait_s"
      rate=$(awk -v r="$mbps" 'BEGIN { printf "%.3f", (r < 0.05 ? 0.05 : r) }')
      shape "$dev" "$vd" "$rate" change; shape "$srv" "$vs" "$rate" change
    done < "$trace"
    ;;
  stop)
    ip netns del "$dev" 2>/dev/null || true; ip netns del "$srv" 2>/dev/null || true
    ;;
  dev) shift 2; exec ip netns exec "$dev" "$@" ;;
  srv) shift 2; exec ip netns exec "$srv" "$@" ;;
  *) echo "shaped_link: unknown command $cmd" >&2; exit 2 ;;
esac
