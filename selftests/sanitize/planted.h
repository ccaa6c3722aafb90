/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between test_qspin_sanitize.ko's C side (main.c: debugfs,
 * allocation, kernel threads) and its C++ object (planted.cpp: the bugs).
 * Included by both; C++ sees no kernel header, so the C side hands it the
 * allocator as function pointers.
 */
#ifndef QSPIN_SANITIZE_PLANTED_H
#define QSPIN_SANITIZE_PLANTED_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct qspin_sanitize_env - what the C++ side may call
 * @alloc: kmalloc(size, GFP_KERNEL)
 * @free:  kfree()
 */
struct qspin_sanitize_env {
	void *(*alloc)(unsigned long size);
	void (*free)(void *p);
};

/**
 * struct qspin_sanitize_race - the object the planted data race is on
 * @counter: incremented with a plain read-modify-write by two threads
 */
struct qspin_sanitize_race {
	unsigned long counter;
};

int qspin_sanitize_cxx_use_after_free(const struct qspin_sanitize_env *env);
void qspin_sanitize_cxx_race_step(struct qspin_sanitize_race *race);

#ifdef __cplusplus
}
#endif

#endif /* QSPIN_SANITIZE_PLANTED_H */
