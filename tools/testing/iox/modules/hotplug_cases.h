/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hotplug cases of the vmtest DMA modules (iox_vtd_dma_test,
 * iox_amdvi_dma_test), included after the backend's cases header: edu was
 * hot-added behind a PCIe root port after the backend brought the unit up.
 * The includer's pr_fmt prefixes the KTAP lines.
 */
#ifndef _IOX_VMTEST_HOTPLUG_CASES_H
#define _IOX_VMTEST_HOTPLUG_CASES_H

/* Set @t up on @be for case @n of the hotplug test, run it, report it. */
static void __init iox_hotplug_case(struct iox_dma_test *t, const struct iox_dma_backend *be,
				    unsigned int n, bool detached,
				    void (*run)(struct iox_dma_test *t), const char *name)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->be = be;
	t->detached = detached;
	ret = iox_dma_test_setup(t);
	if (!ret) {
		run(t);
		iox_dma_test_teardown(t);
	}
	pr_info("# setup gave %d\n", ret);
	pr_info("%sok %u %s\n", !ret && !t->failed ? "" : "not ", n, name);
}

/*
 * Without a driver, the hot-added edu is blocked like the devices present
 * at the bring-up (its DMA reaches nothing, and faults where the unit
 * reports faults), and attaches like them; a driver that binds gets a DMA
 * domain, and its unbind blocks edu again.
 */
static void __init iox_hotplug_test(struct iox_dma_test *t, const struct iox_dma_backend *be)
{
	pr_info("1..3\n");
	iox_hotplug_case(t, be, 1, true, iox_dma_case_blocked_from_load,
			 "the hot-added device is blocked until a driver binds");
	iox_hotplug_case(t, be, 2, false, iox_dma_case_mapped_roundtrip,
			 "the hot-added device attaches and its DMA is translated");
	iox_hotplug_case(t, be, 3, false, iox_dma_case_unbind_blocks,
			 "a driver gets it a DMA domain; its unbind blocks it again");
}

#endif /* _IOX_VMTEST_HOTPLUG_CASES_H */
