// SPDX-License-Identifier: GPL-2.0
/* iox_map_bench.c through the kernel's IOMMU API, for the intel_iommu=on boot. */
#define IOX_MAP_BENCH_KERNEL
#include "iox_map_bench.c"
