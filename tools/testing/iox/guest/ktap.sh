# SPDX-License-Identifier: GPL-2.0
#
# KTAP output for guest test scripts (busybox sh).  A script calls
# ktap_plan N, then one of ktap_check / ktap_result per test.

ktap_n=0

ktap_plan() {
	echo "KTAP version 1"
	echo "1..$1"
}

# ktap_result STATUS NAME: report a test; STATUS 0 is a pass.
ktap_result() {
	ktap_n=$((ktap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $ktap_n $2"
	else
		echo "not ok $ktap_n $2"
	fi
}

# ktap_check NAME COMMAND...: run a command, report its status.
ktap_check() {
	name=$1
	shift
	"$@"
	ktap_result $? "$name"
}

# caps_field FILE KEY: the value of "KEY: value" in a debugfs caps file.
caps_field() {
	sed -n "s/^$2: //p" "$1" | head -n 1
}

# expect_fields FILE KEY=VALUE...: every key has the value; say which not.
expect_fields() {
	file=$1
	shift
	bad=0
	for kv in "$@"; do
		key=${kv%%=*}
		want=${kv#*=}
		got=$(caps_field "$file" "$key")
		if [ "$got" != "$want" ]; then
			echo "# $key: expected '$want', got '$got'"
			bad=1
		fi
	done
	return $bad
}

# module_subtest PREFIX PLAN MODULE [ARGS...]: load a test module that
# prints KTAP through printk with "PREFIX: " before each line, show that
# KTAP as an indented subtest, and succeed if the load worked, the module
# announced PLAN tests ("any": any number) and all it announced passed.
module_subtest() {
	prefix=$1
	want=$2
	shift 2
	insmod "$@"
	status=$?
	dmesg | sed -n "s/^\[[ 0-9.]*\] $prefix: /    /p" >/tmp/subtest.ktap
	cat /tmp/subtest.ktap
	plan=$(sed -n 's/^    1\.\.\([0-9]*\)$/\1/p' /tmp/subtest.ktap)
	[ $status -eq 0 ] && [ -n "$plan" ] && { [ "$want" = any ] || [ "$plan" = "$want" ]; } &&
		! grep -q '^    not ok' /tmp/subtest.ktap &&
		[ "$(grep -c '^    ok ' /tmp/subtest.ktap)" -eq "$plan" ]
}

# wait_until TRIES DELAY COMMAND...: run COMMAND until it succeeds, at
# most TRIES times, DELAY seconds apart; its last status.
wait_until() {
	tries=$1
	delay=$2
	shift 2
	until "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep "$delay"
	done
}

# dmesg_has TEXT: the kernel log contains TEXT.
dmesg_has() {
	dmesg | grep -q -- "$1"
}

# unit_entry_blocked BACKEND BDF: the unit's entry for the device refuses
# its DMA (VT-d: no context entry; AMD-Vi: a device table entry without
# access).
unit_entry_blocked() {
	case $1 in
	iox-amd) grep -q "^$2 blocked\$" /sys/kernel/debug/iox/ivhd0/devtab ;;
	*) ! grep -q "^$2 " /sys/kernel/debug/iox/dmar0/context ;;
	esac
}
