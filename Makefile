# SPDX-License-Identifier: GPL-2.0
#
# iox: the two commands are `make demo` and `make check`.  Every target
# installs what it needs first (tools/testing/iox/bootstrap.sh).
#
# Variables: KDIR (kernel build tree for the out-of-tree modules, default
# the installed linux-headers of the current Debian ABI), IOX_CACHE
# (downloads and kernel build trees, default ~/.cache/iox), SERIES_OUT
# (where `make series` writes the patch series, default $IOX_CACHE/series).

T := tools/testing/iox
export KDIR IOX_CACHE SERIES_OUT

.PHONY: all modules deps overlay lint kunit kunit-qemu vmtest check demo bench clean \
	series series-check

all: modules

modules:
	@$(T)/modules.sh

deps:
	@$(T)/bootstrap.sh

overlay:
	@$(T)/overlay-cache.sh

lint:
	@$(T)/lint.sh

kunit:
	@$(T)/kunit.sh uml

kunit-qemu:
	@$(T)/kunit.sh qemu

vmtest:
	@$(T)/vmtest.sh

bench:
	@$(T)/bench.sh

series:
	@$(T)/series.sh make

series-check:
	@$(T)/series.sh check

demo:
	@$(T)/demo.sh

check:
	@$(T)/check.sh

clean:
	@find drivers tools/testing/iox/modules -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name modules.order -o -name Module.symvers | xargs rm -f
