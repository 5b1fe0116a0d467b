#!/bin/sh
# Map a kernel nickname (6.1, 6.12, debug) to what the build needs:
#   kernels.sh release NAME   -> kernel release string (uname -r)
#   kernels.sh kdir NAME      -> directory to build modules against
#   kernels.sh image NAME     -> bootable bzImage
#   kernels.sh list           -> the nicknames make check runs
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
what=$1
name=${2:-6.1}

# Kernel builds are kept per machine, not per checkout, so a fresh clone
# (as CI makes) reuses them; without a writable /var/cache, per checkout.
cache=${KCHAN_CACHE:-/var/cache/kchan}
{ mkdir -p "$cache" && [ -w "$cache" ]; } 2>/dev/null || cache=$top/build/cache
debug_dir=${KCHAN_DEBUG_KERNEL:-$cache/debug-kernel}

release() {
	case "$1" in
	6.1)  ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -1 | sed 's|.*/linux-headers-||' ;;
	6.12) ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V | tail -1 | sed 's|.*/linux-headers-||' ;;
	debug) cat "$debug_dir/include/config/kernel.release" 2>/dev/null ;;
	*) echo "kernels.sh: unknown kernel '$1' (6.1, 6.12, debug)" >&2; exit 2 ;;
	esac
}

case "$what" in
list) echo "6.1 6.12" ;;
release) release "$name" ;;
kdir)
	if [ "$name" = debug ]; then echo "$debug_dir"; else echo "/usr/src/linux-headers-$(release "$name")"; fi ;;
image)
	if [ "$name" = debug ]; then echo "$debug_dir/arch/x86/boot/bzImage"; else echo "/boot/vmlinuz-$(release "$name")"; fi ;;
*) echo "usage: kernels.sh release|kdir|image|list [6.1|6.12|debug]" >&2; exit 2 ;;
esac
