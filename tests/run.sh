#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/run.sh [unit|bpf|netns]... - run the test tiers (all three by default) and report.
#
#   unit   every tests/unit/NAME.c as the Criterion binary .output/tests/unit/NAME
#   bpf    every tests/bpf/NAME.c (not *.bpf.c) as .output/tests/bpf/NAME
#   netns  every tests/netns/t_*.sh: exit 0 pass, 77 skip, anything else fail
#
# A Criterion test counts as one test (cr_skip_test() counts as skipped), a netns script as
# one. Failures are shown with their whole output. The last line is always
# "N passed, M failed" (", K skipped" when any were); the exit status is 1 if anything
# failed or no test ran at all. Build first (make test does). XDPDNS_TEST_TIMEOUT bounds each
# binary and script in seconds (default 600).
set -u

cd "$(dirname "$0")/.." || exit 1

OUT=.output
TIMEOUT=${XDPDNS_TEST_TIMEOUT:-600}
passed=0
failed=0
skipped=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xdpdns-tests.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=(unit bpf netns)
for t in "${tiers[@]}"; do
	case $t in
	unit | bpf | netns) ;;
	*)
		echo "usage: tests/run.sh [unit|bpf|netns]..." >&2
		exit 1
		;;
	esac
done

is_root=0
[ "$(id -u)" = 0 ] && is_root=1

banner() {
	local bar
	bar=$(printf '!%.0s' {1..78})
	printf '\n%s\n' "$bar"
	printf '!!! %s\n' "$@"
	printf '%s\n\n' "$bar"
}

indent() {
	sed 's/^/      | /' "$1"
}

# One Criterion binary: counts from its TAP report, its own output in full on failure.
run_criterion() {
	local name=$1 bin=$2 tap=$tmp/tap log=$tmp/log rc plan ok fail skip missing
	local status=PASS

	if [ ! -x "$bin" ]; then
		printf 'FAIL  %-28s not built (%s is missing: run make test)\n' "$name" "$bin"
		failed=$((failed + 1))
		return
	fi
	rm -f "$tap"
	timeout --kill-after=10 "$TIMEOUT" "$bin" --tap="$tap" >"$log" 2>&1
	rc=$?
	[ -f "$tap" ] || : >"$tap"
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)
	ok=$(grep -E '^ok ' "$tap" | grep -cv '# SKIP')
	skip=$(grep -cE '^ok .*# SKIP' "$tap")
	fail=$(grep -cE '^not ok' "$tap")
	# Tests that never reported (the runner died) and a bad exit without a failing test
	# are failures too.
	missing=$((${plan:-0} - ok - skip - fail))
	[ "$missing" -gt 0 ] || missing=0
	fail=$((fail + missing))
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1
	fi
	passed=$((passed + ok))
	failed=$((failed + fail))
	skipped=$((skipped + skip))

	if [ "$fail" -gt 0 ]; then
		status=FAIL
	elif [ "$skip" -gt 0 ]; then
		status=SKIP
	fi
	printf '%-4s  %-28s %d passed' "$status" "$name" "$ok"
	[ "$fail" -eq 0 ] || printf ', %d failed' "$fail"
	[ "$skip" -eq 0 ] || printf ', %d skipped' "$skip"
	[ "$rc" -ne 124 ] || printf ' (timed out after %ss)' "$TIMEOUT"
	[ "$missing" -eq 0 ] || printf ' (%d never reported)' "$missing"
	printf '\n'
	if [ "$skip" -gt 0 ]; then
		sed -n 's/^ok - \([^ ]*\).*# SKIP \(.*\)$/      skipped \1: \2/p' "$tap"
	fi
	if [ "$fail" -gt 0 ]; then
		grep -E '^not ok' "$tap" | sed 's/^not ok - /      failed  /'
		printf '      ---- output of %s (exit %d) ----\n' "$bin" "$rc"
		indent "$log"
		printf '      ---- end of %s ----\n' "$bin"
	fi
}

run_tier_criterion() {
	local tier=$1 src name found=0

	printf '== %s\n' "$tier"
	for src in tests/"$tier"/*.c; do
		[ -e "$src" ] || continue
		case $src in *.bpf.c) continue ;; esac
		name=$(basename "$src" .c)
		found=1
		run_criterion "$tier/$name" "$OUT/tests/$tier/$name"
	done
	[ "$found" = 1 ] || printf '      (no tests in tests/%s)\n' "$tier"
}

run_netns() {
	local script name rc why log=$tmp/log scripts=()

	printf '== netns\n'
	for script in tests/netns/t_*.sh; do
		[ -e "$script" ] && scripts+=("$script")
	done
	if [ ${#scripts[@]} -eq 0 ]; then
		printf '      (no tests in tests/netns)\n'
		return
	fi
	if [ "$is_root" = 0 ]; then
		banner "netns tier NOT RUN: it needs root (network namespaces, veth, XDP attach)." \
			"${#scripts[@]} script(s) counted as skipped. Run make test as root."
		for script in "${scripts[@]}"; do
			printf 'SKIP  %-28s needs root\n' "netns/$(basename "$script")"
		done
		skipped=$((skipped + ${#scripts[@]}))
		return
	fi
	for script in "${scripts[@]}"; do
		name=netns/$(basename "$script")
		timeout --kill-after=10 "$TIMEOUT" bash "$script" >"$log" 2>&1 </dev/null
		rc=$?
		case $rc in
		0)
			printf 'PASS  %s\n' "$name"
			passed=$((passed + 1))
			;;
		77)
			# the script's last words say why
			why=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
			printf 'SKIP  %-28s %s\n' "$name" "$why"
			skipped=$((skipped + 1))
			;;
		*)
			if [ "$rc" = 124 ]; then
				printf 'FAIL  %-28s timed out after %ss\n' "$name" "$TIMEOUT"
			else
				printf 'FAIL  %-28s exit %d\n' "$name" "$rc"
			fi
			printf '      ---- output of %s ----\n' "$script"
			indent "$log"
			printf '      ---- end of %s ----\n' "$script"
			failed=$((failed + 1))
			;;
		esac
	done
}

if [ "$is_root" = 0 ]; then
	banner "Not root: tests that need root (BPF maps and programs, netns) are SKIPPED," \
		"not passed. CI runs make test as root."
fi

for t in "${tiers[@]}"; do
	case $t in
	unit | bpf) run_tier_criterion "$t" ;;
	netns) run_netns ;;
	esac
done

echo
none=0
if [ $((passed + failed + skipped)) -eq 0 ]; then
	echo "no test ran: that is a failure too"
	none=1
fi
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$none" -eq 0 ]
