#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A checker never seen failing is not a checker.  Boot the debug kernel once
# per class of bug, with kchan.ko built with CONFIG_KCHAN_PROVOKE=y (see
# kmod/kchan_provoke.c), commit that one bug, and expect the VM runner to
# fail the run with the right detector's report in its log, and no other's.
# A control run loads the same module, commits nothing and must pass.
#
#   tools/debug-kernel/prove-detectors.sh [CLASS]...
#
# CLASS is control, lockdep, uaf or sleep (default: all four).  Prints TAP;
# logs go to build/provoke/logs/.  KCHAN_VM overrides the runner; the VMs
# boot KCHAN_PROVE_JOBS at a time (default: one per CPU).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
vm=${KCHAN_VM:-$top/tools/vm/kchan-vm}
ko=$top/build/provoke/mod/debug/kchan.ko
logs=$top/build/provoke/logs

# CLASS|the report its detector prints (6.1 wording)
detectors='lockdep|WARNING: possible circular locking dependency detected
uaf|BUG: KASAN: use-after-free
sleep|BUG: sleeping function called from invalid context'

classes=${*:-control lockdep uaf sleep}
jobs=${KCHAN_PROVE_JOBS:-$(nproc)}

make -s --no-print-directory -C "$top" module-debug-provoke || exit 1
mkdir -p "$logs"

# Runs inside the VM, where kchan-vm has loaded the provoking kchan.ko.
# "provoked" shows that the run got that far, so that the failure cannot
# come from somewhere else.
script=$logs/provoke.sh
cat >"$script" <<'EOF'
#!/bin/sh
set -e
param=/sys/module/kchan/parameters/provoke
test -e $param
[ "$1" = control ] || echo "$1" >$param
echo "provoked: $1"
EOF

# detected LOG: the classes whose report LOG holds, space-separated.
detected() {
	echo "$detectors" | while IFS='|' read -r c report; do
		if grep -qF "$report" "$1"; then
			printf '%s ' "$c"
		fi
	done
}

# boot CLASS: one VM run, leaving its log, exit status and time in $logs.
boot() {
	t0=$(date +%s)
	"$vm" --kernel debug --module "$ko" --log "$logs/$1.log" \
		--add "$script" -- sh provoke.sh "$1" >"$logs/$1.out" 2>&1
	echo $? >"$logs/$1.rc"
	echo $(($(date +%s) - t0)) >"$logs/$1.secs"
	cat "$logs/$1.out" >>"$logs/$1.log"
}

running=0
for class in $classes; do
	rm -f "$logs/$class.rc"
	boot "$class" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

n=0
failed=0
echo "TAP version 13"
echo "1..$(echo "$classes" | wc -w)"
for class in $classes; do
	n=$((n + 1))
	log=$logs/$class.log
	rc=$(cat "$logs/$class.rc" 2>/dev/null || echo 125)
	seen=$(detected "$log")
	seen=${seen% }
	why=
	if ! grep -q "provoked: $class" "$log"; then
		why="the VM never got to commit the bug (exit $rc)"
	elif [ "$class" = control ]; then
		[ "$rc" -eq 0 ] || why="the runner failed a clean run (exit $rc)"
		[ -z "$seen" ] || why="a clean run reported: $seen"
	else
		[ "$rc" -ne 0 ] || why="the runner passed the run (exit 0)"
		[ "$seen" = "$class" ] ||
			why="reports seen: '${seen:-none}', wanted '$class' only"
	fi
	if [ -n "$why" ]; then
		echo "not ok $n $class: $why; log in $log"
		tail -30 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
		continue
	fi
	echo "ok $n $class ($(cat "$logs/$class.secs") s, runner exit $rc)"
	report=$(echo "$detectors" | sed -n "s/^$class|//p")
	[ -z "$report" ] || grep -F -m1 "$report" "$log" | sed 's/^/#   /'
done
[ "$failed" -eq 0 ]
