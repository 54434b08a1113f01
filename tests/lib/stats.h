/* stats: small statistics for benchmarks.
 *
 * Rules of this module:
 * - Pure functions of the values given; no I/O.
 */
#ifndef STATS_H
#define STATS_H 1

/* The median of the 'n' (> 0) values at 'v'; sorts 'v' in place. */
double stats_median(double *v, int n);

#endif /* stats.h */
