#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build kchan's debug kernel (lockdep, KASAN, atomic-sleep, ...) from
# Debian's linux-source-6.1:
#
#   tools/debug-kernel/build.sh [debug|kcsan]
#
# The source is extracted once into $KCHAN_CACHE/linux-source-6.1 (default
# /var/cache/kchan, shared by every checkout on the machine) and stays
# pristine; the kernel is built with O= into $KCHAN_CACHE/debug-kernel (the
# kdir and bzImage that tools/kernels.sh names).  A stamp there holds a hash
# of the fragment, the source version and the compiler: when it matches,
# nothing is done.  Each stage prints its time; full logs go to
# <out>/build.log.
# shellcheck disable=SC2317 # the stages are functions run through stage()
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tools/debug-kernel
flavour=${1:-debug}
tarball=/usr/src/linux-source-6.1.tar.xz
# Kept per machine, as tools/kernels.sh expects (KCHAN_CACHE).
cache=${KCHAN_CACHE:-/var/cache/kchan}
{ mkdir -p "$cache" && [ -w "$cache" ]; } 2>/dev/null || cache=$top/build/cache
src=$cache/linux-source-6.1
jobs=${KCHAN_JOBS:-$(nproc)}

# The braces make the shell read the whole script before running any of it,
# so that editing it during a ten-minute build cannot derail that build.
{
case "$flavour" in
debug)
	out=${KCHAN_DEBUG_KERNEL:-$cache/debug-kernel}
	fragments="$here/kchan-debug.config" ;;
kcsan)
	out=${KCHAN_KCSAN_KERNEL:-$cache/kcsan-kernel}
	fragments="$here/kchan-debug.config $here/kchan-kcsan.config" ;;
*)
	echo "usage: $0 [debug|kcsan]" >&2
	exit 2 ;;
esac

say() { printf '  %-8s %s\n' "$1" "$2"; }

# Seconds since $1, as "XmYYs".
since() {
	t=$(( $(date +%s) - $1 ))
	printf '%dm%02ds' $((t / 60)) $((t % 60))
}

[ -r "$tarball" ] || { echo "$0: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %s.%Y "$tarball")

mkdir -p "$out"
# One build per output tree at a time: make check and kchan-vm may both ask.
exec 9>"$out/.lock"
flock 9

# shellcheck disable=SC2086
want=$( { echo "source $srcver"; gcc --version | head -1; cat $fragments; } | sha256sum | cut -d' ' -f1)
stamp=$out/.kchan-stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	say KERNEL "$flavour: up to date ($(cat "$out/include/config/kernel.release"))"
	exit 0
fi
rm -f "$stamp"
log=$out/build.log
: >"$log"
timings=$out/timings.txt
: >"$timings"

# stage NAME CMD...: run CMD with its output in the log, print and record
# its time, and every 30 s how far it got (kbuild's "  CC ..." lines).
stage() {
	name=$1
	shift
	t0=$(date +%s)
	say "$name" "$flavour: started $(date +%T)"
	steps0=$(grep -c '^  [A-Z]' "$log" || true)
	"$@" >>"$log" 2>&1 &
	pid=$!
	n=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		if [ $((n % 30)) -eq 0 ]; then
			steps=$(( $(grep -c '^  [A-Z]' "$log" || true) - steps0 ))
			say "$name" "$flavour: $(since "$t0"), $steps build steps"
		fi
	done
	if ! wait "$pid"; then
		tail -40 "$log" >&2
		echo "$0: stage '$name' failed; full log in $log" >&2
		exit 1
	fi
	say "$name" "$flavour: done in $(since "$t0")"
	echo "$name $(( $(date +%s) - t0 ))" >>"$timings"
}

# Extraction: once per source version, into a temporary name so that an
# interrupted run never leaves a half tree that looks whole.
extract() {
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	echo "$srcver" >"$src.tmp/.kchan-source-version"
	mv "$src.tmp" "$src"
}
if [ "$(cat "$src/.kchan-source-version" 2>/dev/null)" != "$srcver" ]; then
	stage EXTRACT extract
fi

kmake() { make -C "$src" O="$out" "$@"; }

configure() {
	kmake tinyconfig
	# shellcheck disable=SC2086
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" $fragments
	kmake olddefconfig
}
stage CONFIG configure

# Every line of the fragments must have survived olddefconfig: a silently
# dropped detector is a detector that never fires.
# A later fragment overrides an earlier one, as in merge_config.sh.
# shellcheck disable=SC2086
missing=$(cat $fragments | sed -n \
	-e 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1=\2/p' \
	-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' |
awk -F= '!($1 in v) { order[++n] = $1 } { v[$1] = $2 }
	END { for (i = 1; i <= n; i++) print order[i] "=" v[order[i]] }' |
while IFS='=' read -r sym val; do
	got=$(sed -n "s/^$sym=//p" "$out/.config")
	[ -n "$got" ] || got=n
	[ "$got" = "$val" ] || echo "    $sym: wanted $val, got $got"
done)
if [ -n "$missing" ]; then
	echo "$0: options of the fragment that did not end up in .config:" >&2
	echo "$missing" >&2
	exit 1
fi
say CONFIG "$flavour: every fragment option is set"

stage BZIMAGE kmake -j"$jobs" bzImage
# modules_prepare plus `modules` (no in-tree modules are configured, so this
# only runs modpost on vmlinux) gives Module.symvers, so that modpost checks
# kchan.ko's symbol references at build time instead of insmod at boot.
stage MODPREP kmake -j"$jobs" modules_prepare modules

echo "$want" >"$stamp"
say KERNEL "$flavour: $(cat "$out/include/config/kernel.release") in $out"
exit 0
}
