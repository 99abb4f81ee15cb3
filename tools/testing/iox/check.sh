#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every tier, in order, each judged on its own; a failing tier
# does not stop the others.  Ends with "N passed, N failed" over all tests
# (a gate such as the build or a lint tool counts as one test).
# IOX_CHECK_TIERS limits the run to some of the tiers.

. "$(dirname "$0")/lib.sh"

IOX_RESULTS=$IOX_BUILD/check-results
export IOX_RESULTS
: >"$IOX_RESULTS"

start=$(date +%s)
failed_tiers=()
for tier in ${IOX_CHECK_TIERS:-modules lint kunit kunit-qemu vmtest series-check}; do
	t0=$(date +%s)
	echo "=== $tier"
	if make -C "$IOX_ROOT" --no-print-directory "$tier"; then
		echo "=== $tier: ok ($(($(date +%s) - t0)) s)"
	else
		echo "=== $tier: FAILED ($(($(date +%s) - t0)) s)"
		failed_tiers+=("$tier")
	fi
done

echo "=== summary ($(($(date +%s) - start)) s)"
summary=$IOX_BUILD/check-summary.new
# One line per test name (series-check records one result per patch).
awk '!($1 in p) { order[n++] = $1 } { p[$1] += $2; f[$1] += $3 }
	END { for (i = 0; i < n; i++)
		printf "  %-22s %5d passed %5d failed\n", order[i], p[order[i]], f[order[i]] }' \
	"$IOX_RESULTS" | tee "$summary"
read -r passed failed < <(awk '{ p += $2; f += $3 } END { print p + 0, f + 0 }' "$IOX_RESULTS")
if [ ${#failed_tiers[@]} -gt 0 ] && [ "$failed" -eq 0 ]; then
	failed=${#failed_tiers[@]}	# a tier failed without recording a count
fi
[ ${#failed_tiers[@]} -gt 0 ] && echo "failed tiers: ${failed_tiers[*]}"
echo "$passed passed, $failed failed" | tee -a "$summary"
# A full run's summary goes into the patch series' cover letter.
if [ -z "${IOX_CHECK_TIERS:-}" ]; then
	mv "$summary" "$IOX_BUILD/check-summary"
else
	rm -f "$summary"
fi
[ "$failed" -eq 0 ] && [ ${#failed_tiers[@]} -eq 0 ] && [ "$passed" -gt 0 ]
