#!/bin/sh
# Install the Debian packages kchan's build and tests need, once.
# Idempotent: checks for each package first, so a warm machine pays ~0.1 s.
set -eu

PKGS="make gcc libc6-dev pkg-config cpio busybox-static qemu-system-x86 liburing-dev
linux-headers-amd64 linux-image-amd64
linux-headers-6.12.107+deb12-amd64 linux-image-6.12.107+deb12-amd64-unsigned
linux-source-6.1 flex bison bc libelf-dev libssl-dev xz-utils perl golang-go groff-base man-db"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
