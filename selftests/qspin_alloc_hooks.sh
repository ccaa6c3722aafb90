# SPDX-License-Identifier: GPL-2.0
# Sourced by the kselftests that check sleeping-under-a-lock reports
# (qspin_mistakes.sh, qspin_demo_mistakes.sh): which allocation hooks this
# kernel offers (README, "Common mistakes"). From 6.11 on should_failslab()
# and should_fail_alloc_page() sit behind static keys, so allocations are
# seen after the fact, by the kmem tracepoints. Sets slab_way/page_way (as
# debugfs qspin/sleeping names them), slab_hook/page_hook (as reports and
# "hits" lines name them), when (the report's words) and sleep_fix (the
# report's fix line: PREEMPT_RT allows no allocation at all under a
# raw-class lock).

krel=$(uname -r)
kmaj=${krel%%.*}
kmin=${krel#*.}
kmin=${kmin%%.*}
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" = 6 ] && [ "$kmin" -ge 11 ]; }; then
	slab_way=tracepoint:kmalloc,kmem_cache_alloc slab_hook=tracepoint:kmalloc
	page_way=tracepoint:mm_page_alloc page_hook=tracepoint:mm_page_alloc
	when='after the allocation returned (it may have slept)'
else
	slab_way=kprobe:should_failslab slab_hook=kprobe:should_failslab
	page_way=kprobe:should_fail_alloc_page page_hook=kprobe:should_fail_alloc_page
	when='before the allocator could sleep'
fi
case $(uname -v) in
*PREEMPT_RT*) sleep_fix='qspin:  fix: allocate before taking the lock$' ;;
*) sleep_fix='qspin:  fix: allocate with GFP_ATOMIC, or before taking the lock' ;;
esac
