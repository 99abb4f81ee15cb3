// SPDX-License-Identifier: GPL-2.0
/*
 * make bench module: times the DMA API on QEMU's edu device (1234:11e8)
 * with whatever DMA ops the device has: an iox DMA domain (iox loaded, the
 * domain given when this driver binds), the kernel's own intel-iommu
 * (booted with intel_iommu=on) or dma-direct (no IOMMU).  It uses no iox
 * symbol, so the same module measures every configuration.
 *
 * At probe, after an untimed pass of everything on every CPU, for
 * map+unmap of one 4K page, of 64K and of a 16-entry scatterlist of 4K
 * pages, on one CPU and then on every online CPU at once, each thread
 * times pairs for up to BENCH_PAIRS or BENCH_MAX_NS; the figure is ns per
 * pair (all threads' time over all their pairs).
 * Lines "iox-dma-bench: # bench-vm: dma SHAPE CPUS NS", printed with
 * KERN_INFO: the guest script passes them on from dmesg.
 *
 * Each thread also times its pairs in chunks of BENCH_CHUNK, which is the
 * ring of a lazy domain (iox's and the kernel's flush queues both hold 256
 * unmaps a CPU), so that every chunk carries its share of the flushes; the
 * fastest chunk of each thread, averaged over the threads, is the "best"
 * figure ("dma-best SHAPE CPUS NS"), and the median chunk of each thread,
 * averaged likewise, the "median" one ("dma-median SHAPE CPUS NS").  Under
 * emulation on a shared host the vCPU threads lose the host CPU now and
 * then, or run slower for a while, which makes some chunks slower, never
 * faster: the best and the median chunk move much less between runs than
 * the mean does, the median unless the slow spells fill half the run.
 *
 * Such a spell can last seconds and cover a whole run.  After each chunk
 * every thread also times a fixed computation that touches neither the
 * DMA API nor shared memory (bench_probe()); the median of its times,
 * averaged over the threads, is "dma-probe SHAPE CPUS NS": the same in
 * every configuration while the host runs at one speed, so that two
 * runs' probe times say how fast the host was during each.  The fastest
 * probe of the boot so far (the untimed first pass included) stands for
 * the host's nominal speed; a run whose probe is more than BENCH_SLOW_PCT
 * percent slower than that is run again, up to BENCH_ATTEMPTS times in
 * all, and the attempt with the fastest probe is the one printed, so that
 * every configuration is measured with the host at its nominal speed
 * when the host allows it (the probe line says how close it came).
 */
#define pr_fmt(fmt) "iox-dma-bench: " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>

#define BENCH_PAIRS	65536
#define BENCH_MAX_NS	(NSEC_PER_SEC / 2)
#define BENCH_SG	16
#define BENCH_CHUNK	256
#define BENCH_PROBE_WORDS	1024
#define BENCH_PROBE_ROUNDS	8192
#define BENCH_SLOW_PCT		8
#define BENCH_ATTEMPTS		3

enum bench_shape { SHAPE_4K, SHAPE_64K, SHAPE_SG, SHAPES };

static const char * const shape_names[SHAPES] = { "4K", "64K", "sg16x4K" };

/**
 * struct bench_run - one shape on some CPUs at once
 * @dev: the device whose DMA ops are timed
 * @shape: what each pair maps
 * @threads: threads still running
 * @failed: pairs whose map failed
 * @ns: the threads' time, summed
 * @pairs: the pairs they completed
 * @best_ns: each thread's fastest chunk of BENCH_CHUNK pairs, summed
 * @median_ns: each thread's median chunk, summed
 * @probe_ns: each thread's median time of bench_probe(), summed
 * @probe_min: the fastest bench_probe() of any thread
 * @done: completed when the last thread is done
 */
struct bench_run {
	struct device *dev;
	enum bench_shape shape;
	atomic_t threads;
	atomic_t failed;
	atomic64_t ns;
	atomic64_t pairs;
	atomic64_t best_ns;
	atomic64_t median_ns;
	atomic64_t probe_ns;
	atomic64_t probe_min;
	struct completion done;
};

/* One map+unmap of @shape from @buf (64K, page aligned); false if it failed. */
static bool bench_pair(struct bench_run *run, void *buf, struct scatterlist *sg)
{
	dma_addr_t addr;
	int n;

	switch (run->shape) {
	case SHAPE_SG:
		n = dma_map_sg(run->dev, sg, BENCH_SG, DMA_BIDIRECTIONAL);
		if (!n)
			return false;
		dma_unmap_sg(run->dev, sg, BENCH_SG, DMA_BIDIRECTIONAL);
		return true;
	default:
		addr = dma_map_single(run->dev, buf, run->shape == SHAPE_4K ? SZ_4K : SZ_64K,
				      DMA_BIDIRECTIONAL);
		if (dma_mapping_error(run->dev, addr))
			return false;
		dma_unmap_single(run->dev, addr, run->shape == SHAPE_4K ? SZ_4K : SZ_64K,
				 DMA_BIDIRECTIONAL);
		return true;
	}
}

/*
 * The host-speed probe: a fixed amount of computation in a private 4 KiB
 * array (xorshift32), no lock, no shared line and no call out, so that its
 * time depends only on how fast the host runs the vCPU.
 */
static noinline void bench_probe(u32 *words)
{
	u32 x = 1;
	unsigned int i;

	for (i = 0; i < BENCH_PROBE_ROUNDS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		words[x % BENCH_PROBE_WORDS] += x;
	}
}

/* Time one bench_probe() into *@ns. */
static void bench_probe_time(u32 *words, u64 *ns)
{
	u64 start = ktime_get_ns();

	bench_probe(words);
	*ns = ktime_get_ns() - start;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The fastest and the median of @n chunk times (sorted here); with no
 * whole chunk, the mean time of @ns over @pairs stands in for both.
 */
static void chunk_stats(u64 *chunks, unsigned int n, u64 ns, u64 pairs, u64 *best,
			u64 *median)
{
	if (!n) {
		*best = pairs ? div64_u64(ns * BENCH_CHUNK, pairs) : 0;
		*median = *best;
		return;
	}
	sort(chunks, n, sizeof(*chunks), cmp_u64, NULL);
	*best = chunks[0];
	*median = n % 2 ? chunks[n / 2] : (chunks[n / 2 - 1] + chunks[n / 2]) / 2;
}

static int bench_thread(void *data)
{
	struct bench_run *run = data;
	struct scatterlist sg[BENCH_SG];
	void *buf = kmalloc(SZ_64K, GFP_KERNEL);
	u64 *chunks = kmalloc_array(BENCH_PAIRS / BENCH_CHUNK, sizeof(u64), GFP_KERNEL);
	u64 *probes = kmalloc_array(BENCH_PAIRS / BENCH_CHUNK, sizeof(u64), GFP_KERNEL);
	u32 *words = kcalloc(BENCH_PROBE_WORDS, sizeof(u32), GFP_KERNEL);
	u64 start, chunk, now, ns = 0, pairs = 0, best, median, probe = 0, fastest = 0, old;
	unsigned int i, n = 0;

	if (buf && chunks && probes && words) {
		sg_init_table(sg, BENCH_SG);
		for (i = 0; i < BENCH_SG; i++)
			sg_set_buf(&sg[i], buf + i * SZ_4K, SZ_4K);
		start = ktime_get_ns();
		chunk = start;
		while (pairs < BENCH_PAIRS && ns < BENCH_MAX_NS) {
			if (!bench_pair(run, buf, sg)) {
				atomic_inc(&run->failed);
				break;
			}
			if (!(++pairs % BENCH_CHUNK)) {
				now = ktime_get_ns();
				chunks[n++] = now - chunk;
				/* Yielding is not the chunk's time, nor the probe. */
				cond_resched();
				bench_probe_time(words, &probes[n - 1]);
				chunk = ktime_get_ns();
				ns = chunk - start;
			}
		}
		ns = ktime_get_ns() - start;
	} else {
		atomic_inc(&run->failed);
	}
	chunk_stats(chunks, n, ns, pairs, &best, &median);
	/* A run too short for a whole chunk still probes once. */
	if (!n && words) {
		bench_probe_time(words, &probe);
		fastest = probe;
	} else if (n) {
		chunk_stats(probes, n, 0, 0, &fastest, &probe);
	}
	kfree(words);
	kfree(probes);
	kfree(chunks);
	kfree(buf);
	atomic64_add(ns, &run->ns);
	atomic64_add(pairs, &run->pairs);
	atomic64_add(best, &run->best_ns);
	atomic64_add(median, &run->median_ns);
	atomic64_add(probe, &run->probe_ns);
	old = atomic64_read(&run->probe_min);
	while (fastest && fastest < old && !atomic64_try_cmpxchg(&run->probe_min, &old, fastest))
		;
	if (atomic_dec_and_test(&run->threads))
		complete(&run->done);
	return 0;
}

/**
 * struct bench_result - one run's figures, per pair or per thread
 * @ns: mean time of a pair
 * @best: time of a pair in the threads' fastest chunks, averaged
 * @median: the same for their median chunks
 * @probe: the threads' median bench_probe() time, averaged
 * @probe_min: the fastest bench_probe() of the run
 */
struct bench_result {
	u64 ns;
	u64 best;
	u64 median;
	u64 probe;
	u64 probe_min;
};

/*
 * Run @shape once on one CPU or on all into *@res.  Return: 0 or -errno.
 */
static int bench_run_once(struct device *dev, enum bench_shape shape, bool all,
			  struct bench_result *res)
{
	struct bench_run run = { .dev = dev, .shape = shape };
	unsigned int cpu, nr = all ? num_online_cpus() : 1, threads = nr;
	u64 pairs;

	atomic_set(&run.threads, nr);
	atomic64_set(&run.probe_min, U64_MAX);
	init_completion(&run.done);
	for_each_online_cpu(cpu) {
		struct task_struct *t;

		if (!nr--)
			break;
		t = kthread_create(bench_thread, &run, "iox-dma-bench/%u", cpu);
		if (IS_ERR(t)) {
			/* The threads started so far still complete @run. */
			if (atomic_sub_and_test(nr + 1, &run.threads))
				complete(&run.done);
			wait_for_completion(&run.done);
			return PTR_ERR(t);
		}
		kthread_bind(t, cpu);
		wake_up_process(t);
	}
	wait_for_completion(&run.done);
	pairs = atomic64_read(&run.pairs);
	if (atomic_read(&run.failed) || !pairs)
		return -EIO;
	*res = (struct bench_result){
		.ns = div64_u64(atomic64_read(&run.ns), pairs),
		.best = div64_u64(atomic64_read(&run.best_ns), (u64)threads * BENCH_CHUNK),
		.median = div64_u64(atomic64_read(&run.median_ns), (u64)threads * BENCH_CHUNK),
		.probe = div64_u64(atomic64_read(&run.probe_ns), threads),
		.probe_min = atomic64_read(&run.probe_min),
	};
	return 0;
}

/*
 * Run @shape on one CPU or on all, again while the host runs slower than
 * *@ref, the fastest probe so far, which the runs update (see the top of
 * the file); print the attempt with the fastest probe unless @warm_up.
 * Return: 0 or -errno.
 */
static int bench_shape(struct device *dev, enum bench_shape shape, bool all, bool warm_up,
		       u64 *ref)
{
	struct bench_result res, kept = { .probe = U64_MAX };
	const char *cpus = all ? "all-cpus" : "1-cpu";
	unsigned int attempt;
	int ret;

	for (attempt = 1; attempt <= (warm_up ? 1 : BENCH_ATTEMPTS); attempt++) {
		ret = bench_run_once(dev, shape, all, &res);
		if (ret)
			return ret;
		*ref = min(*ref, res.probe_min);
		if (res.probe < kept.probe)
			kept = res;
		/* No probe (no memory for it): nothing to compare. */
		if (*ref == U64_MAX || kept.probe * 100 <= *ref * (100 + BENCH_SLOW_PCT))
			break;
	}
	if (warm_up)
		return 0;
	pr_info("# bench-vm: dma %s %s %llu\n", shape_names[shape], cpus, kept.ns);
	pr_info("# bench-vm: dma-best %s %s %llu\n", shape_names[shape], cpus, kept.best);
	pr_info("# bench-vm: dma-median %s %s %llu\n", shape_names[shape], cpus, kept.median);
	pr_info("# bench-vm: dma-probe %s %s %llu\n", shape_names[shape], cpus, kept.probe);
	pr_info("# %s %s: %u attempts, probe %llu ns, nominal %llu ns\n", shape_names[shape],
		cpus, min_t(unsigned int, attempt, BENCH_ATTEMPTS), kept.probe, *ref);
	return 0;
}

static int iox_dma_bench_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	enum bench_shape shape;
	int ret, all;
	u64 ref = U64_MAX;

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	/*
	 * A first, untimed pass on every CPU: the first shape timed would
	 * otherwise pay alone for what any first use costs (the emulator
	 * translating the code, caches and page-table levels filling up).
	 */
	for (all = -1; all < 2; all++) {
		for (shape = 0; shape < SHAPES; shape++) {
			ret = bench_shape(&pdev->dev, shape, all != 0, all < 0, &ref);
			if (ret) {
				pr_err("%s failed: %d\n", shape_names[shape], ret);
				return ret;
			}
		}
	}
	pr_info("done\n");
	return 0;
}

static void iox_dma_bench_remove(struct pci_dev *pdev)
{
}

static const struct pci_device_id iox_dma_bench_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, iox_dma_bench_ids);

static struct pci_driver iox_dma_bench_driver = {
	.name = "iox_dma_bench",
	.id_table = iox_dma_bench_ids,
	.probe = iox_dma_bench_probe,
	.remove = iox_dma_bench_remove,
};
module_pci_driver(iox_dma_bench_driver);

MODULE_DESCRIPTION("make bench: the DMA API's map+unmap cost on edu, whatever its DMA ops");
MODULE_LICENSE("GPL");
