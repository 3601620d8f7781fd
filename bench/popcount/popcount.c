/* Instructions per 32-bit popcount on a target without a popcount
 * instruction, for the sequences a binary layer could use. Each variant
 * counts the bits of the same N pseudo-random words; the harness prints the
 * totals (which must agree) and the runner counts instructions between the
 * markers around each variant. */
#include <stdint.h>
#include <stdio.h>

#define N 4096
static uint32_t words[N];

void bench_marker_begin(void);
void bench_marker_end(void);

/* What LLVM emits for llvm.ctpop.i32 without a popcount instruction. */
__attribute__((noinline)) static uint32_t builtin(const uint32_t *w, int n) {
  uint32_t total = 0;
  for (int i = 0; i < n; ++i)
    total += (uint32_t)__builtin_popcount(w[i]);
  return total;
}

/* A 256-entry byte table: four loads per word. */
static uint8_t table[256];
__attribute__((noinline)) static uint32_t by_table(const uint32_t *w, int n) {
  uint32_t total = 0;
  for (int i = 0; i < n; ++i) {
    uint32_t x = w[i];
    total += table[x & 255] + table[(x >> 8) & 255] + table[(x >> 16) & 255] + table[x >> 24];
  }
  return total;
}

/* SWAR kept in byte lanes across words: the 2- and 4-bit steps per word,
 * the byte sums of up to 31 words added before one horizontal reduction. */
__attribute__((noinline)) static uint32_t swar_batched(const uint32_t *w, int n) {
  uint32_t total = 0;
  for (int i = 0; i < n;) {
    uint32_t bytes = 0;
    for (int j = 0; j < 31 && i < n; ++j, ++i) {
      uint32_t x = w[i];
      x = x - ((x >> 1) & 0x55555555u);
      x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
      bytes += (x + (x >> 4)) & 0x0f0f0f0fu;
    }
    /* bytes hold at most 31 * 8 = 248 each */
    bytes = (bytes & 0x00ff00ffu) + ((bytes >> 8) & 0x00ff00ffu);
    total += (bytes & 0xffffu) + (bytes >> 16);
  }
  return total;
}

int main(void) {
  uint32_t s = 12345u;
  for (int i = 0; i < N; ++i) {
    s = s * 1664525u + 1013904223u;
    words[i] = s;
  }
  for (int i = 0; i < 256; ++i)
    table[i] = (uint8_t)__builtin_popcount((unsigned)i);
  uint32_t r[3];
  bench_marker_begin(); r[0] = builtin(words, N); bench_marker_end();
  bench_marker_begin(); r[1] = by_table(words, N); bench_marker_end();
  bench_marker_begin(); r[2] = swar_batched(words, N); bench_marker_end();
  printf("totals %lu %lu %lu\n", (unsigned long)r[0], (unsigned long)r[1], (unsigned long)r[2]);
  return !(r[0] == r[1] && r[1] == r[2]);
}
