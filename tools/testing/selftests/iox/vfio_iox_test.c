// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_iox_test: VFIO type1 device assignment through iox, from user space.
 *
 * The edu device (QEMU, PCI 1234:11e8) is bound to vfio-pci; this program
 * opens its group and a container, maps its own memory with
 * VFIO_IOMMU_MAP_DMA and lets edu's DMA engine, driven through the mmapped
 * BAR 0, move bytes to and from it.  What iox did is read back from
 * /sys/kernel/debug/iox: the domain's mapped bytes, page sizes and faults.
 *
 * Usage: vfio_iox_test [-n] [BDF]     the tests, KTAP on stdout
 *        vfio_iox_test hold [BDF]     map a page, print "holding", and keep
 *                                     the container until killed
 *
 * The unit is the one the device's "iommu" link in sysfs names; its debugfs
 * directory gives the page sizes and, where it records faults (VT-d), the
 * fault count.  -n: the unit reports no faults (QEMU 7.2's AMD-Vi never
 * writes its event log), so a DMA to an unmapped address is shown by its
 * data not landing, against a translation the IOTLB held before the unmap.
 *
 * Needs vfio_iommu_type1.allow_unsafe_interrupts=1 (iox does not remap
 * interrupts), debugfs, and two free 2 MiB hugepages for the superpage test.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SZ_4K		0x1000UL
#define SZ_1M		0x100000UL
#define SZ_2M		0x200000UL
#define MSI_START	0xfee00000ULL
#define MSI_END		0xfeefffffULL

/* edu registers (QEMU hw/misc/edu.c) */
#define EDU_ID		0x00
#define EDU_ID_VALUE	0x010000ed
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_RUN	1
#define EDU_DMA_TO_RAM	2
#define EDU_BUFFER	0x40000

#define IOX_DEBUGFS	"/sys/kernel/debug/iox"

static int ktap_n, ktap_failed;

static void ktap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		ktap_failed++;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* State of the opened device. */
static struct {
	const char *bdf;
	char unit[64];		/* the iox unit translating it */
	bool no_faults;		/* the unit reports no faults (-n) */
	uint64_t aperture_end;	/* the last IOVA GET_INFO offers */
	int container, group, device;
	uint8_t *bar;	/* mmapped BAR 0: accessed through bar_*() only */
	size_t bar_size;
	uint64_t cfg_offset;
} v = { .container = -1, .group = -1, .device = -1 };

/* ---- iox debugfs ---- */

/* "key: value" of a debugfs file; value parsed with base 0.  -1 if absent. */
static long long debugfs_field(const char *path, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long long val = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':') {
			val = strtoll(line + len + 1, NULL, 0);
			break;
		}
	fclose(f);
	return val;
}

#define MAX_DOMAINS	64

/* The stats files of every iox domain; returns how many. */
static int domain_stats_files(char (*paths)[PATH_MAX])
{
	DIR *dir = opendir(IOX_DEBUGFS "/domains");
	struct dirent *de;
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < MAX_DOMAINS)
		if (de->d_name[0] != '.')
			snprintf(paths[n++], PATH_MAX, IOX_DEBUGFS "/domains/%s/stats", de->d_name);
	closedir(dir);
	return n;
}

/*
 * A field of the iox domain edu is attached to: the only domain with a
 * device while the container holds edu.  -1 if there is no such domain.
 */
static long long dom_field(const char *key)
{
	static char paths[MAX_DOMAINS][PATH_MAX];
	int i, n = domain_stats_files(paths), found = -1;

	for (i = 0; i < n; i++) {
		if (debugfs_field(paths[i], "devices") <= 0)
			continue;
		if (found >= 0)
			return -1;
		found = i;
	}
	return found < 0 ? -1 : debugfs_field(paths[found], key);
}

/* Sum of a key over every iox domain, and how many domains there are. */
static long long all_domains_sum(const char *key, int *count)
{
	static char paths[MAX_DOMAINS][PATH_MAX];
	long long sum = 0;
	int i;

	*count = domain_stats_files(paths);
	for (i = 0; i < *count; i++)
		sum += debugfs_field(paths[i], key);
	return sum;
}

/* Scan the unit's fault records (reading the file polls them). */
static void poll_faults(void)
{
	char buf[4096];
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), IOX_DEBUGFS "/%s/faults", v.unit);
	fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Wait up to 2 s for the domain's fault count to pass @before.  A unit that
 * reports no faults gives @before + 1: the caller's check of the memory the
 * DMA must not have reached is then the whole test.
 */
static long long wait_faults(long long before)
{
	long long now = before;
	int i;

	if (v.no_faults) {
		sleep_ms(200);
		return before + 1;
	}

	for (i = 0; i < 100 && now <= before; i++) {
		sleep_ms(20);
		poll_faults();
		now = dom_field("faults");
	}
	return now;
}

/* ---- edu through BAR 0 ---- */

/*
 * Register accesses: one load or store each, never merged, split or
 * reordered by the compiler (relaxed atomics, plain moves on x86).
 */
static void bar_write64(unsigned int off, uint64_t val)
{
	__atomic_store_n((uint64_t *)(v.bar + off), val, __ATOMIC_RELAXED);
}

static uint64_t bar_read64(unsigned int off)
{
	return __atomic_load_n((uint64_t *)(v.bar + off), __ATOMIC_RELAXED);
}

static uint32_t bar_read32(unsigned int off)
{
	return __atomic_load_n((uint32_t *)(v.bar + off), __ATOMIC_RELAXED);
}

/* One transfer between the bus address @iova and edu's buffer; 0 when done. */
static int edu_dma(uint64_t iova, uint32_t off, uint32_t len, bool to_ram)
{
	int i;

	bar_write64(EDU_DMA_SRC, to_ram ? EDU_BUFFER + off : iova);
	bar_write64(EDU_DMA_DST, to_ram ? iova : EDU_BUFFER + off);
	bar_write64(EDU_DMA_COUNT, len);
	bar_write64(EDU_DMA_CMD, EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
	for (i = 0; i < 500; i++) {
		if (!(bar_read64(EDU_DMA_CMD) & EDU_DMA_RUN))
			return 0;
		sleep_ms(10);
	}
	return -1;
}

/* ---- VFIO ---- */

static int map_dma(uint64_t iova, void *vaddr, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(v.container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

/* Returns -errno, or the bytes unmapped. */
static long long unmap_dma(uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(v.container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size;
}

/* The last component of what the device's sysfs link @name points to. */
static int sysfs_link_name(const char *bdf, const char *name, char *out, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	char *slash;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/%s", bdf, name);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = 0;
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	if (strlen(slash) >= size)
		return -1;
	strcpy(out, slash);
	return 0;
}

static int group_number(const char *bdf)
{
	char name[64];

	return sysfs_link_name(bdf, "iommu_group", name, sizeof(name)) ? -1 : atoi(name);
}

/* Container, group, type1v2, device fd, BAR 0 mapped, bus master on. */
static int vfio_open(void)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char path[64];
	uint16_t cmd;
	int nr;

	nr = group_number(v.bdf);
	if (nr < 0 || sysfs_link_name(v.bdf, "iommu", v.unit, sizeof(v.unit))) {
		diag("%s has no IOMMU group or unit", v.bdf);
		return -1;
	}
	v.container = open("/dev/vfio/vfio", O_RDWR);
	if (v.container < 0 || ioctl(v.container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(v.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) {
		diag("container: %s", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", nr);
	v.group = open(path, O_RDWR);
	if (v.group < 0 || ioctl(v.group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		diag("group %d: %s (flags %#x)", nr, strerror(errno), status.flags);
		return -1;
	}
	if (ioctl(v.group, VFIO_GROUP_SET_CONTAINER, &v.container) ||
	    ioctl(v.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		diag("set container / type1v2: %s", strerror(errno));
		return -1;
	}
	v.device = ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, v.bdf);
	if (v.device < 0) {
		diag("device fd: %s", strerror(errno));
		return -1;
	}
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(v.device, VFIO_DEVICE_GET_REGION_INFO, &reg)) {
		diag("BAR0 info: %s", strerror(errno));
		return -1;
	}
	v.bar_size = reg.size;
	v.bar = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, v.device, reg.offset);
	if (v.bar == MAP_FAILED) {
		diag("BAR0 mmap: %s", strerror(errno));
		return -1;
	}
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(v.device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -1;
	v.cfg_offset = reg.offset;
	if (pread(v.device, &cmd, 2, v.cfg_offset + PCI_COMMAND) != 2)
		return -1;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	if (pwrite(v.device, &cmd, 2, v.cfg_offset + PCI_COMMAND) != 2)
		return -1;
	return 0;
}

static void vfio_close(void)
{
	if (v.bar && v.bar != MAP_FAILED)
		munmap((void *)v.bar, v.bar_size);
	v.bar = NULL;
	if (v.device >= 0)
		close(v.device);
	if (v.group >= 0)
		close(v.group);
	if (v.container >= 0)
		close(v.container);
	v.device = -1;
	v.group = -1;
	v.container = -1;
}

static void *alloc_buf(size_t size, bool huge)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0), -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, size);
	return p;
}

/* ---- the tests ---- */

/* 1: VFIO_IOMMU_GET_INFO reports iox's page sizes and the IOVA ranges. */
static void test_info(void)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	struct vfio_iommu_type1_info_cap_iova_range *cap = NULL;
	size_t sz = 4096;
	bool msi_free = true, ranges_ok;
	long long unit_pgsizes;
	char caps[PATH_MAX];
	uint32_t i;

	snprintf(caps, sizeof(caps), IOX_DEBUGFS "/%s/caps", v.unit);
	unit_pgsizes = debugfs_field(caps, "pgsize_bitmap");
	info = calloc(1, sz);
	info->argsz = sz;
	if (ioctl(v.container, VFIO_IOMMU_GET_INFO, info)) {
		ktap_result(false, "VFIO_IOMMU_GET_INFO: %s", strerror(errno));
		ktap_result(false, "IOVA ranges exclude the MSI window");
		free(info);
		return;
	}
	diag("unit %s: iova_pgsizes %#llx, pgsize_bitmap %#llx", v.unit,
	     (unsigned long long)info->iova_pgsizes, unit_pgsizes);
	ktap_result((info->flags & VFIO_IOMMU_INFO_PGSIZES) &&
		    (long long)info->iova_pgsizes == unit_pgsizes,
		    "GET_INFO page sizes are iox's page-size bitmap");

	if ((info->flags & VFIO_IOMMU_INFO_CAPS) && info->cap_offset) {
		for (hdr = (void *)info + info->cap_offset;; hdr = (void *)info + hdr->next) {
			if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
				cap = (void *)hdr;
			if (!hdr->next)
				break;
		}
	}
	ranges_ok = cap && cap->nr_iovas >= 2;
	for (i = 0; cap && i < cap->nr_iovas; i++) {
		diag("iova range %u: %#llx-%#llx", i, (unsigned long long)cap->iova_ranges[i].start,
		     (unsigned long long)cap->iova_ranges[i].end);
		if (cap->iova_ranges[i].start <= MSI_END && cap->iova_ranges[i].end >= MSI_START)
			msi_free = false;
		v.aperture_end = cap->iova_ranges[i].end;
	}
	if (cap)
		ranges_ok = ranges_ok && cap->iova_ranges[0].start == 0 &&
			    cap->iova_ranges[0].end == MSI_START - 1 &&
			    cap->iova_ranges[1].start == MSI_END + 1;
	ktap_result(ranges_ok && msi_free,
		    "IOVA ranges exclude the MSI window 0xfee00000-0xfeefffff");
	free(info);
}

#define T_IOVA	0x100000ULL

/* 2: MAP_DMA, DMA both ways through the mapping. */
static void test_map_dma(uint8_t *buf)
{
	bool ok;
	int i;

	for (i = 0; i < 256; i++)
		buf[i] = i ^ 0xa5;
	ok = map_dma(T_IOVA, buf, 4 * SZ_4K, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) == 0;
	ok = ok && dom_field("mapped_bytes") == 4 * SZ_4K;
	ktap_result(ok, "MAP_DMA of 16 KiB: iox domain maps 16384 bytes");

	ok = edu_dma(T_IOVA, 0, 256, false) == 0 &&
	     edu_dma(T_IOVA + SZ_4K + 0x100, 0, 256, true) == 0;
	for (i = 0; ok && i < 256; i++)
		ok = buf[SZ_4K + 0x100 + i] == (uint8_t)(i ^ 0xa5);
	ok = ok && buf[SZ_4K + 0xff] == 0 && buf[SZ_4K + 0x200] == 0;
	ktap_result(ok, "edu DMA memory->device->memory through the mapping");
}

/* 3: after UNMAP_DMA the next DMA faults and memory stays untouched. */
static void test_unmap_faults(uint8_t *buf)
{
	long long before, after, n;
	bool ok;

	n = unmap_dma(T_IOVA, 4 * SZ_4K);
	ok = n == (long long)(4 * SZ_4K) && dom_field("mapped_bytes") == 0;
	ktap_result(ok, "UNMAP_DMA returns 16384, iox domain maps nothing");

	memset(buf, 0, 4 * SZ_4K);
	before = dom_field("faults");
	ok = edu_dma(T_IOVA + SZ_4K, 0, 256, true) == 0;
	after = wait_faults(before);
	if (!v.no_faults)
		diag("faults before %lld after %lld", before, after);
	ok = ok && after > before;
	for (n = 0; ok && n < (long long)(4 * SZ_4K); n++)
		ok = buf[n] == 0;
	ktap_result(ok, "DMA after UNMAP_DMA %s, buffer untouched",
		    v.no_faults ? "does not land (IOTLB invalidated)" : "faults (counted by iox)");
}

/* DMA 64 bytes to @iova; whether they landed at @mem. */
static bool dma_lands(uint64_t iova, uint8_t *mem)
{
	return edu_dma(iova, 0, 64, true) == 0 && mem[0] == 0xa5 && mem[63] == (uint8_t)(63 ^ 0xa5);
}

/* 4: a hugepage-backed 2 MiB mapping is one superpage; a hole in it faults. */
static void test_superpage(void)
{
	const uint64_t iova = 0x40000000ULL;
	uint8_t *huge = alloc_buf(SZ_2M, true);
	long long before, after;
	bool ok;

	if (!huge) {
		ktap_result(false, "2 MiB hugepage: %s (set vm.nr_hugepages)", strerror(errno));
		ktap_result(false, "bisecting UNMAP_DMA refused, mapping intact");
		ktap_result(false, "hole between two mappings faults, neighbours DMA");
		return;
	}
	ok = map_dma(iova, huge, SZ_2M, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) == 0;
	diag("used_pgsizes %#llx", dom_field("used_pgsizes"));
	ok = ok && dom_field("used_pgsizes") == (long long)SZ_2M &&
	     dom_field("mapped_bytes") == (long long)SZ_2M;
	ok = ok && dma_lands(iova + SZ_1M + SZ_4K, huge + SZ_1M + SZ_4K);
	ktap_result(ok, "2 MiB hugepage MAP_DMA is one 2 MiB superpage in iox, DMA lands");

	/* type1v2 never splits a mapping: the 4 KiB hole must be refused. */
	memset(huge + SZ_1M, 0, SZ_4K);
	ok = unmap_dma(iova + SZ_1M, SZ_4K) == -EINVAL &&
	     dom_field("mapped_bytes") == (long long)SZ_2M && dma_lands(iova + SZ_1M, huge + SZ_1M);
	ktap_result(ok, "bisecting UNMAP_DMA refused (EINVAL), mapping intact");

	/* The hole made from user space: two mappings around it. */
	ok = unmap_dma(iova, SZ_2M) == (long long)SZ_2M;
	memset(huge, 0, SZ_2M);
	ok = ok && map_dma(iova, huge, SZ_1M,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) == 0;
	ok = ok && map_dma(iova + SZ_1M + SZ_4K, huge + SZ_1M + SZ_4K, SZ_1M - SZ_4K,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) == 0;
	ok = ok && dma_lands(iova + SZ_1M - SZ_4K, huge + SZ_1M - SZ_4K) &&
	     dma_lands(iova + SZ_1M + SZ_4K, huge + SZ_1M + SZ_4K);
	before = dom_field("faults");
	ok = ok && edu_dma(iova + SZ_1M, 0, 64, true) == 0;
	after = wait_faults(before);
	ok = ok && after > before && huge[SZ_1M] == 0 && huge[SZ_1M + 63] == 0;
	ktap_result(ok, "hole between two mappings %s, neighbours DMA",
		    v.no_faults ? "takes no data" : "faults");
	unmap_dma(iova, SZ_1M);
	unmap_dma(iova + SZ_1M + SZ_4K, SZ_1M - SZ_4K);
	munmap(huge, SZ_2M);
}

/* 5: bad input fails with an errno and leaves the domain as it was. */
static void test_bad_input(uint8_t *buf)
{
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct {
		const char *what;
		bool map;
		uint64_t iova;
		long off;
		uint64_t size;
		uint32_t flags;
		long long want;	/* -errno, or bytes unmapped */
	} cases[] = {
		{ "MAP unaligned iova", true, T_IOVA + 0x800, 0, SZ_4K, rw, -EINVAL },
		{ "MAP unaligned vaddr", true, 0x300000, 0x800, SZ_4K, rw, -EINVAL },
		{ "MAP unaligned size", true, 0x300000, 0, 0x800, rw, -EINVAL },
		{ "MAP zero size", true, 0x300000, 0, 0, rw, -EINVAL },
		{ "MAP overlapping", true, T_IOVA + SZ_4K, 0, SZ_4K, rw, -EEXIST },
		{ "MAP without read or write", true, 0x300000, 0, SZ_4K, 0, -EINVAL },
		{ "MAP in the MSI window", true, MSI_START, 0, SZ_4K, rw, -EINVAL },
		/* IOVA 0 if the aperture is all 64 bits (AMD-Vi, 6 levels): left out. */
		{ "MAP beyond the aperture", true, v.aperture_end + 1, 0, SZ_4K, rw, -EINVAL },
		{ "MAP wrapping", true, ~0xfffULL, 0, 2 * SZ_4K, rw, -EINVAL },
		{ "UNMAP unaligned iova", false, T_IOVA + 0x800, 0, SZ_4K, 0, -EINVAL },
		{ "UNMAP zero size", false, T_IOVA, 0, 0, 0, -EINVAL },
		{ "UNMAP bisecting", false, T_IOVA + SZ_4K, 0, SZ_4K, 0, -EINVAL },
		{ "UNMAP never mapped", false, 0x300000, 0, SZ_4K, 0, 0 },
	};
	long long mapped, maps, unmaps;
	unsigned int i;
	bool ok, all = true;

	ok = map_dma(T_IOVA, buf, 2 * SZ_4K, rw) == 0;
	mapped = dom_field("mapped_bytes");
	maps = dom_field("maps");
	unmaps = dom_field("unmaps");
	diag("%-28s %-18s %-10s %s", "ioctl", "iova", "expected", "got");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *expected, *result;
		long long got;

		if (cases[i].map && !cases[i].iova) {
			diag("%-28s %#-18llx %-10s %s", cases[i].what,
			     (unsigned long long)cases[i].iova, "-", "not applicable");
			continue;
		}
		if (cases[i].map)
			got = map_dma(cases[i].iova, buf + cases[i].off, cases[i].size,
				      cases[i].flags);
		else
			got = unmap_dma(cases[i].iova, cases[i].size);
		if (got < 0)
			result = strerror(-got);
		else
			result = got ? "bytes unmapped!" : "0 bytes";
		expected = "0 bytes";
		if (cases[i].want)
			expected = strerror(-cases[i].want);
		diag("%-28s %#-18llx %-10s %s", cases[i].what,
		     (unsigned long long)cases[i].iova, expected, result);
		if (got != cases[i].want)
			all = false;
	}
	ktap_result(ok && all, "bad MAP_DMA/UNMAP_DMA input fails with the expected errno");
	ok = ok && dom_field("mapped_bytes") == mapped && dom_field("maps") == maps &&
	     dom_field("unmaps") == unmaps && mapped == (long long)(2 * SZ_4K);
	memset(buf, 0, SZ_4K);
	ok = ok && edu_dma(T_IOVA, 0, 64, true) == 0 && buf[0] == 0xa5;
	ktap_result(ok, "the iox domain is unchanged by refused input and still translates");
	unmap_dma(T_IOVA, 2 * SZ_4K);
}

/* 6: closing a container with live mappings leaves nothing mapped. */
static void test_close(uint8_t *buf)
{
	long long mapped;
	int domains, devices;
	bool ok;

	ok = map_dma(T_IOVA, buf, 4 * SZ_4K,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) == 0 &&
	     edu_dma(T_IOVA, 0, 64, true) == 0;
	vfio_close();
	mapped = all_domains_sum("mapped_bytes", &domains);
	devices = all_domains_sum("devices", &domains);
	diag("after close: %d iox domains, %lld bytes mapped, %d devices attached", domains,
	     mapped, devices);
	ktap_result(ok && mapped == 0 && devices == 0,
		    "closing the container with live mappings leaves nothing mapped");
}

static int hold(void)
{
	uint8_t *buf = alloc_buf(SZ_4K, false);

	if (vfio_open() || !buf ||
	    map_dma(T_IOVA, buf, SZ_4K, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) {
		fprintf(stderr, "%s: setup failed\n", __func__);
		return 1;
	}
	printf("holding\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	bool hold_mode = argc > 1 && !strcmp(argv[1], "hold");
	int arg = 1 + hold_mode;
	uint8_t *buf;

	if (!hold_mode && argc > arg && !strcmp(argv[arg], "-n")) {
		v.no_faults = true;
		arg++;
	}
	v.bdf = argc > arg ? argv[arg] : "0000:00:10.0";
	if (hold_mode)
		return hold();

	printf("KTAP version 1\n1..13\n");
	buf = alloc_buf(8 * SZ_4K, false);
	if (!buf || vfio_open()) {
		ktap_result(false, "open %s through VFIO type1v2 (group, container, device)",
			    v.bdf);
		printf("# Bail out! no VFIO access to the device\n");
		return 1;
	}
	ktap_result(bar_read32(EDU_ID) == EDU_ID_VALUE,
		    "open %s through VFIO type1v2, edu answers in the mmapped BAR 0", v.bdf);
	diag("unit %s, faults %s", v.unit,
	     v.no_faults ? "not reported: data that did not land is the signal" : "counted by iox");
	test_info();
	test_map_dma(buf);
	test_unmap_faults(buf);
	test_superpage();
	test_bad_input(buf);
	test_close(buf);
	diag("%d tests, %d failed", ktap_n, ktap_failed);
	return ktap_failed ? 1 : 0;
}
