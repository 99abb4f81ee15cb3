// SPDX-License-Identifier: GPL-2.0
/*
 * iox tracepoints: the one place that instantiates them.
 */
#include <linux/export.h>

#define CREATE_TRACE_POINTS
#include "iox_trace.h"

EXPORT_TRACEPOINT_SYMBOL_GPL(iox_map);
EXPORT_TRACEPOINT_SYMBOL_GPL(iox_unmap);
EXPORT_TRACEPOINT_SYMBOL_GPL(iox_sync);
