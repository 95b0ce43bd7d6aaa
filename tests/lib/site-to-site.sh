# SPDX-License-Identifier: GPL-2.0-or-later
# The site-to-site set-up shared by the explicit-connection tests (sourced after netns.sh and
# ikm_init): the LAN, gateway west (192.0.2.1, subnet 198.51.100.0/24 with host hostw) and
# gateway east (192.0.2.2, subnet 203.0.113.0/24 with host hoste), and the helpers run/cli.

# run NODE CMD...: CMD in NODE's namespace.
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
# cli NODE ARGS...: `ikemesh ARGS` against NODE's daemon.
cli() {
  local ctl="ctl_$1"
  "$IKM_BIN/ikemesh" --ctl "${!ctl}" "${@:2}"
}

# ikm_two_sites CONFDIR PLUGINDIR [capture]: the LAN and both sites, a capture of the LAN's IPv4
# (without the IGMP reports of interfaces coming up) when asked, then ikemeshd on east and
# west with CONFDIR/east.conf and CONFDIR/west.conf. Sets lan, ctl_east and ctl_west.
ikm_two_sites() {
  local confdir=$1 plugindir=$2 capture=${3:-}
  ikm_lan
  lan=$(ikm_nsname lan)
  ikm_site west 192.0.2.1/24 198.51.100.1/24 hostw 198.51.100.10/24
  ikm_site east 192.0.2.2/24 203.0.113.1/24 hoste 203.0.113.10/24
  [[ -z $capture ]] || ikm_capture lan "$lan" br0 ip and not igmp
  ikm_start_daemon east "$(ikm_nsname east)" -- --config "$confdir/east.conf" --plugindir "$plugindir"
  ctl_east=$IKM_CTL
  ikm_start_daemon west "$(ikm_nsname west)" -- --config "$confdir/west.conf" --plugindir "$plugindir"
  ctl_west=$IKM_CTL
}
