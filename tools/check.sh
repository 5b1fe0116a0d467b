#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything that proves kchan works, in stages.
#
#   deps            tools/deps.sh
#   module-K        a clean W=1 build of kchan.ko for each kernel K; any
#                   compiler or modpost warning fails it
#   checkpatch      make checkpatch prints nothing
#   build           make lib selftests tools
#   host-tests      make host-tests, then every program in build/host-tests/
#                   (when the Makefile has that target)
#   vm-K            kchan-selftests in a VM running kernel K
#
# Kernels: tools/kernels.sh list plus the debug kernel (lockdep, KASAN, ...),
# or KCHAN_CHECK_KERNELS ("6.1 6.12 debug"); KCHAN_CHECK_DEBUG=0 leaves the
# debug kernel out.  With it come two stages: debug-kernel (built once per
# machine, ~10 min cold) and detectors (tools/debug-kernel/prove-detectors.sh:
# each deliberately broken build must be caught by the right detector).
# KCHAN_CHECK_VM_TIMEOUT (s, default 420) bounds each VM run and
# KCHAN_CHECK_TEST_TIMEOUT (s, default 180) each selftest program in it.
#
# Tests count as kselftest's "# Totals:" lines say; a stage that is not a
# test suite counts as one check.  The last line is "N passed, N failed,
# N skipped"; the exit status is non-zero when anything failed.  Logs are
# kept in build/check/.

set -uo pipefail

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
logs=$top/build/check
mkdir -p "$logs"

kernels=${KCHAN_CHECK_KERNELS:-$("$top/tools/kernels.sh" list)}
if [ "${KCHAN_CHECK_DEBUG:-1}" = 1 ] && [[ " $kernels " != *" debug "* ]]; then
	kernels="$kernels debug"
fi
vm_timeout=${KCHAN_CHECK_VM_TIMEOUT:-420}
test_timeout=${KCHAN_CHECK_TEST_TIMEOUT:-180}

mk()
{
	make -s --no-print-directory -C "$top" "$@"
}

# ---- Bookkeeping ------------------------------------------------------------
names=()
results=()
npass=()
nfail=()
nskip=()
secs=()
notes=()

# record NAME RESULT PASS FAIL SKIP SECONDS [NOTE]
record()
{
	names+=("$1")
	results+=("$2")
	npass+=("$3")
	nfail+=("$4")
	nskip+=("$5")
	secs+=("$6")
	notes+=("${7:-}")
	printf '=== %s: %s (%s passed, %s failed, %s skipped) in %s s%s\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "${7:+ - $7}"
}

since()
{
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

banner()
{
	printf '\n=== %s\n' "$1"
}

# A stage that is one check: record ok or FAIL from a status and a note.
record_check()
{
	local name=$1 ok=$2 t0=$3 note=${4:-}

	if [ "$ok" = 1 ]; then
		record "$name" ok 1 0 0 "$(since "$t0")" "$note"
	else
		record "$name" FAIL 0 1 0 "$(since "$t0")" "$note"
	fi
}

# ---- TAP ----------------------------------------------------------------------
# tap_count LOG: "PASS FAIL SKIP" from kselftest output.  Every "# Totals:"
# line counts (xfail and xpass are passes, error is a failure).  A program
# that kchan-selftests reports "not ok" without a failure in its own Totals
# (it crashed, timed out, or exited non-zero) counts as one failure; one
# reported "# SKIP" without Totals counts as one skip.
tap_count()
{
	awk '
	function flush() {
		if (!open)
			return
		if (bad && !secfail)
			fail++
		if (skipped && !sectotals)
			skip++
		open = 0
	}
	/^# selftests: kchan: / {
		flush()
		open = 1; secfail = 0; sectotals = 0; bad = 0; skipped = 0
		next
	}
	/# Totals: pass:[0-9]+ fail:[0-9]+/ {
		s = substr($0, index($0, "Totals:") + 7)
		n = split(s, kv, /[ \t]+/)
		for (i = 1; i <= n; i++) {
			split(kv[i], p, ":")
			v[p[1]] = p[2] + 0
		}
		pass += v["pass"] + v["xfail"] + v["xpass"]
		fail += v["fail"] + v["error"]
		skip += v["skip"]
		secfail += v["fail"] + v["error"]
		sectotals = 1
		next
	}
	open && /^not ok [0-9]+ selftests: kchan: / { bad = 1; flush(); next }
	open && /^ok [0-9]+ selftests: kchan: .*# SKIP/ { skipped = 1; flush(); next }
	open && /^ok [0-9]+ selftests: kchan: / { flush(); next }
	END {
		# A program still running when the output ended failed.
		if (open) { bad = 1; flush() }
		printf "%d %d %d\n", pass, fail, skip
	}' "$1"
}

# ---- Stages -------------------------------------------------------------------
banner deps
t0=$EPOCHREALTIME
if "$top/tools/deps.sh" >"$logs/deps.log" 2>&1; then
	record_check deps 1 "$t0"
else
	cat "$logs/deps.log"
	record_check deps 0 "$t0"
fi

if [[ " $kernels " == *" debug "* ]]; then
	banner debug-kernel
	t0=$EPOCHREALTIME
	if mk debug-kernel 2>&1 | tee "$logs/debug-kernel.log"; then
		record_check debug-kernel 1 "$t0"
	else
		record_check debug-kernel 0 "$t0" "build failed"
	fi
fi

# Compiler warnings, and modpost's (except the missing Module.symvers of a
# kernel tree built here, which has no bearing on the module).
warnings='warning:|WARNING:'
harmless='Symbol info of vmlinux is missing'
declare -A module_ok=()
for k in $kernels; do
	banner "module-$k"
	t0=$EPOCHREALTIME
	rm -rf "$top/build/mod/$k"
	ok=1
	note=
	if ! mk "module-$k" >"$logs/module-$k.log" 2>&1; then
		ok=0
		note="build failed"
	elif grep -E "$warnings" "$logs/module-$k.log" |
	     grep -v -q -E "$harmless"; then
		ok=0
		note="warnings"
	fi
	[ "$ok" = 1 ] || cat "$logs/module-$k.log"
	module_ok[$k]=$ok
	record_check "module-$k" "$ok" "$t0" "$note"
done

banner checkpatch
t0=$EPOCHREALTIME
# checkpatch.pl comes out of linux-source-6.1 with the harness, saying so.
mk harness >"$logs/checkpatch.log" 2>&1 &&
	mk checkpatch >"$logs/checkpatch.log" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ ! -s "$logs/checkpatch.log" ]; then
	record_check checkpatch 1 "$t0"
else
	cat "$logs/checkpatch.log"
	record_check checkpatch 0 "$t0" \
		"$(grep -c . "$logs/checkpatch.log") lines of complaints"
fi

banner build
t0=$EPOCHREALTIME
ok=1
note=
if ! mk lib selftests tools >"$logs/build.log" 2>&1; then
	ok=0
	note="build failed"
elif grep -q -E 'warning:' "$logs/build.log"; then
	ok=0
	note="warnings"
fi
[ "$ok" = 1 ] || cat "$logs/build.log"
record_check build "$ok" "$t0" "$note"

banner host-tests
t0=$EPOCHREALTIME
if ! mk -n host-tests >/dev/null 2>&1; then
	record host-tests none 0 0 0 "$(since "$t0")" "no host-tests target"
elif ! mk host-tests >"$logs/host-tests-build.log" 2>&1; then
	cat "$logs/host-tests-build.log"
	record_check host-tests 0 "$t0" "build failed"
else
	: >"$logs/host-tests.log"
	progs=0
	while read -r t; do
		progs=$((progs + 1))
		name=${t#"$top/build/host-tests/"}
		# Framed as kchan-selftests frames its programs.
		{
			echo "# selftests: kchan: $name"
			(cd "$top/build/host-tests" &&
			 timeout -k 5 "$test_timeout" "$t" </dev/null 2>&1)
			rc=$?
			case "$rc" in
			0) echo "ok $progs selftests: kchan: $name" ;;
			4) echo "ok $progs selftests: kchan: $name # SKIP" ;;
			*) echo "not ok $progs selftests: kchan: $name # exit=$rc" ;;
			esac
		} | tee -a "$logs/host-tests.log"
	done < <(find "$top/build/host-tests" -type f -perm -u+x | sort)
	read -r p f s < <(tap_count "$logs/host-tests.log")
	if [ "$f" -gt 0 ]; then
		res=FAIL
	elif [ "$progs" = 0 ]; then
		res=none
	else
		res=ok
	fi
	record host-tests "$res" "$p" "$f" "$s" "$(since "$t0")" \
		"$progs programs"
fi

for k in $kernels; do
	banner "vm-$k"
	t0=$EPOCHREALTIME
	if [ "${module_ok[$k]}" != 1 ]; then
		record "vm-$k" FAIL 0 1 0 "$(since "$t0")" "no module to test"
		continue
	fi
	status=$logs/vm-$k.status
	# Under KASAN and lockdep everything runs several times slower: give
	# the debug kernel more time, and its stress tests a smaller budget.
	kt=$vm_timeout tt=$test_timeout stress=${KCHAN_STRESS_SECS:-30}
	if [ "$k" = debug ]; then
		kt=$((vm_timeout * 3)) tt=$((test_timeout * 2)) stress=15
	fi
	"$top/tools/vm/kchan-vm" -v --kernel "$k" --timeout "$kt" \
		--status "$status" --log "$logs/vm-$k.console" \
		-- env KCHAN_STRESS_SECS="$stress" \
		kchan-selftests -t "$tt" 2>&1 |
		tee "$logs/vm-$k.log"
	rc=${PIPESTATUS[0]}
	read -r p f s < <(tap_count "$logs/vm-$k.log")
	result=$(sed -n 's/^result=//p' "$status" 2>/dev/null)
	progs=$(grep -c -E '^(not )?ok [0-9]+ selftests: kchan: ' \
		"$logs/vm-$k.log")
	note="$progs programs"
	case "$result" in
	ok | cmd-failed) ;;
	kernel-problem)
		# Whatever the tests said, the kernel complained.
		f=$((f + 1))
		note="$note; kernel log shows problems" ;;
	*)
		f=$((f + 1))
		note="$note; VM runner: ${result:-exit $rc}" ;;
	esac
	if [ "$result" = cmd-failed ] && [ "$f" = 0 ]; then
		f=1
		note="$note; kchan-selftests failed"
	fi
	if [ "$progs" = 0 ] && [ "$f" = 0 ]; then
		f=1
		note="no selftests ran"
	fi
	res=ok
	[ "$f" = 0 ] || res=FAIL
	record "vm-$k" "$res" "$p" "$f" "$s" "$(since "$t0")" "$note"
done

if [[ " $kernels " == *" debug "* ]]; then
	banner detectors
	t0=$EPOCHREALTIME
	mk prove-detectors 2>&1 | tee "$logs/detectors.log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c -E '^ok [0-9]+' "$logs/detectors.log")
	f=$(grep -c -E '^not ok [0-9]+' "$logs/detectors.log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	res=ok
	[ "$f" = 0 ] || res=FAIL
	record detectors "$res" "$p" "$f" 0 "$(since "$t0")" \
		"deliberate bugs caught by lockdep, KASAN, atomic-sleep"
fi

# ---- Report -------------------------------------------------------------------
tp=0
tf=0
ts=0
printf '\n%-14s %-6s %6s %6s %6s %8s  %s\n' stage result pass fail skip time notes
for i in "${!names[@]}"; do
	printf '%-14s %-6s %6d %6d %6d %7ss  %s\n' "${names[$i]}" \
		"${results[$i]}" "${npass[$i]}" "${nfail[$i]}" "${nskip[$i]}" \
		"${secs[$i]}" "${notes[$i]}"
	tp=$((tp + npass[i]))
	tf=$((tf + nfail[i]))
	ts=$((ts + nskip[i]))
done
echo "logs: $logs"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
