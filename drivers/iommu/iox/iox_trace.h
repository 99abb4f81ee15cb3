/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox tracepoints: one event per map, unmap and IOTLB sync of a domain.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iox

#if !defined(_IOX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IOX_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(iox_map,
	    TP_PROTO(int domain, u64 iova, phys_addr_t paddr, size_t size, int prot),
	    TP_ARGS(domain, iova, paddr, size, prot),
	    TP_STRUCT__entry(__field(int, domain)
			     __field(u64, iova)
			     __field(u64, paddr)
			     __field(size_t, size)
			     __field(int, prot)),
	    TP_fast_assign(__entry->domain = domain;
			   __entry->iova = iova;
			   __entry->paddr = paddr;
			   __entry->size = size;
			   __entry->prot = prot;),
	    TP_printk("domain=%d iova=%#llx paddr=%#llx size=%#zx prot=%#x",
		      __entry->domain, __entry->iova, __entry->paddr, __entry->size,
		      __entry->prot)
);

TRACE_EVENT(iox_unmap,
	    TP_PROTO(int domain, u64 iova, size_t size, size_t unmapped),
	    TP_ARGS(domain, iova, size, unmapped),
	    TP_STRUCT__entry(__field(int, domain)
			     __field(u64, iova)
			     __field(size_t, size)
			     __field(size_t, unmapped)),
	    TP_fast_assign(__entry->domain = domain;
			   __entry->iova = iova;
			   __entry->size = size;
			   __entry->unmapped = unmapped;),
	    TP_printk("domain=%d iova=%#llx size=%#zx unmapped=%#zx",
		      __entry->domain, __entry->iova, __entry->size,
		      __entry->unmapped)
);

TRACE_EVENT(iox_sync,
	    TP_PROTO(int domain, u64 start, u64 end, size_t pgsize, bool queued),
	    TP_ARGS(domain, start, end, pgsize, queued),
	    TP_STRUCT__entry(__field(int, domain)
			     __field(u64, start)
			     __field(u64, end)
			     __field(size_t, pgsize)
			     __field(bool, queued)),
	    TP_fast_assign(__entry->domain = domain;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->pgsize = pgsize;
			   __entry->queued = queued;),
	    TP_printk("domain=%d start=%#llx end=%#llx pgsize=%#zx queued=%d",
		      __entry->domain, __entry->start, __entry->end, __entry->pgsize,
		      __entry->queued)
);

#endif /* _IOX_TRACE_H */

/* The header is not in include/trace/events: tell define_trace.h where. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE iox_trace
#include <trace/define_trace.h>
