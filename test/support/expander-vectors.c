/* An independent C implementation of expander generator 1 (sdk/FORMAT.md §10), written
 * from the spec, that prints test/expander.vectors.json. Regenerate with:
 *   gcc -O2 -o /tmp/xv test/support/expander-vectors.c && /tmp/xv > test/expander.vectors.json
 * test/expander.test.ts checks sdk/expander.ts against that file. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

static uint32_t s[4];
static uint32_t fmix32(uint32_t h) { h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16; return h; }
static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
static void seed(uint32_t lo, uint32_t hi) {
  for (uint32_t i = 0; i < 4; i++) s[i] = fmix32(lo ^ fmix32(hi ^ (0x9E3779B9u * (i + 1))));
  if (!(s[0] | s[1] | s[2] | s[3])) s[0] = 1;
}
static uint32_t next(void) { /* xoshiro128** */
  const uint32_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 9;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
  return result;
}
static uint32_t below(uint32_t n) {
  if (n <= 1) return 0;
  uint32_t mask = n - 1; mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16;
  for (;;) { uint32_t r = next() & mask; if (r < n) return r; }
}
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void graph(int inputs, int outputs, int degree, uint32_t lo, uint32_t hi, int balanced, int last) {
  int *deck = malloc(inputs * sizeof(int)), *row = malloc(degree * sizeof(int));
  unsigned char *held = calloc(inputs, 1);
  for (int i = 0; i < inputs; i++) deck[i] = i;
  seed(lo, hi);
  printf("  {\"inputs\": %d, \"outputs\": %d, \"degree\": %d, \"seedLo\": %u, \"seedHi\": %u, \"balanced\": %s, \"table\": [",
         inputs, outputs, degree, lo, hi, balanced ? "true" : "false");
  int left = inputs;
  for (int o = 0; o < outputs; o++) {
    if (!balanced) left = inputs;
    for (int k = 0; k < degree; k++) {
      if (left == 0) left = inputs;
      for (;;) {
        int j = (int)below((uint32_t)left), item = deck[j];
        if (held[item]) continue;
        deck[j] = deck[left - 1]; deck[left - 1] = item; left--;
        row[k] = item; held[item] = 1;
        break;
      }
    }
    for (int k = 0; k < degree; k++) held[row[k]] = 0;
    qsort(row, degree, sizeof(int), cmp);
    for (int k = 0; k < degree; k++) printf("%s%d", o == 0 && k == 0 ? "" : ",", row[k]);
  }
  printf("]}%s\n", last ? "" : ",");
  free(deck); free(row); free(held);
}

int main(void) {
  printf("{\"generator\": 1, \"xoshiro128ss\": [\n");
  uint32_t seeds[3][2] = {{0, 0}, {1, 0}, {0xdeadbeefu, 0x12345678u}};
  for (int k = 0; k < 3; k++) {
    seed(seeds[k][0], seeds[k][1]);
    printf("  {\"seedLo\": %u, \"seedHi\": %u, \"first\": [", seeds[k][0], seeds[k][1]);
    for (int i = 0; i < 8; i++) printf("%s%u", i ? "," : "", next());
    printf("]}%s\n", k < 2 ? "," : "");
  }
  printf("], \"graphs\": [\n");
  graph(16, 16, 4, 1, 0, 0, 0);
  graph(16, 16, 4, 1, 0, 1, 0);
  graph(64, 64, 8, 42, 7, 0, 0);
  graph(64, 64, 8, 42, 7, 1, 0);
  graph(37, 23, 5, 0xffffffffu, 0xffffffffu, 1, 0);  /* odd sizes, a reset mid-output */
  graph(10, 9, 9, 3, 0, 1, 0);                        /* degree = inputs − 1: resets with put-backs */
  graph(12, 5, 12, 5, 0, 1, 0);                       /* degree = inputs */
  graph(300, 40, 1, 9, 1, 0, 0);                      /* degree 1, inputs not a power of two */
  graph(128, 345, 32, 0x9e3779b9u, 0, 0, 1);          /* a classifier-sized table */
  printf("]}\n");
  return 0;
}
