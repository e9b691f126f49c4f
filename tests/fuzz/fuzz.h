/*
 * fuzz.h: what the libFuzzer targets share.
 *
 * FUZZ_CHECK states a property the parser promises (a round trip that
 * must agree, a length that must stay in bounds).  A violation aborts, so
 * libFuzzer keeps the input as a crash, just as it does for a sanitizer
 * report: "does not crash" alone would let a wrong answer pass.
 *
 * Parsers that only open paths (the CCDIR reader, the config loader) get
 * the input through a memfd named by /proc/self/fd/N: no file system
 * writes, nothing left behind, and fopen gives a fresh offset each time.
 */
#ifndef GW_FUZZ_H
#define GW_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property violated: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

struct fuzz_file {
	int	 fd;
	char	 path[64];
};

/* Replaces the file's contents by data; the path then names them. */
static inline const char *
fuzz_file_put(struct fuzz_file *f, const void *data, size_t size)
{
	if (f->fd <= 0) {
		if ((f->fd = memfd_create("fuzz-input", 0)) == -1) {
			perror("memfd_create");
			abort();
		}
		snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	}
	if (ftruncate(f->fd, 0) == -1 ||
	    (size > 0 && pwrite(f->fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
	return f->path;
}

/* The input as a NUL-terminated string (caller frees). */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* 1 if a and b are both NULL or both the same string. */
static inline int
fuzz_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

#endif
