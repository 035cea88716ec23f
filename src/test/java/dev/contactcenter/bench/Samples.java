package dev.contactcenter.bench;

import java.util.Arrays;

/** A growable list of long samples (latencies in microseconds, durations) with percentiles. Not thread-safe. */
final class Samples {

  private long[] values = new long[1024];
  private int size;

  void add(long value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = value;
  }

  int size() {
    return size;
  }

  /** The p-th percentile (0-100, nearest rank); 0 when empty. */
  long percentile(double p) {
    if (size == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.max(0, Math.min(size - 1, rank - 1))];
  }

  long max() {
    long max = Long.MIN_VALUE;
    for (int i = 0; i < size; i++) {
      max = Math.max(max, values[i]);
    }
    return size == 0 ? 0 : max;
  }

  long min() {
    long min = Long.MAX_VALUE;
    for (int i = 0; i < size; i++) {
      min = Math.min(min, values[i]);
    }
    return size == 0 ? 0 : min;
  }

  /** Median of a few doubles (the runs of one figure). */
  static double median(double[] runs) {
    double[] sorted = runs.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
