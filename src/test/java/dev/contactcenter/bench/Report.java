package dev.contactcenter.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The results table: one row per figure, the median and spread of its runs, its target and whether it is met. */
final class Report {

  record Row(String scenario, String figure, double[] runs, String unit, String target, Boolean met, String load) {
  }

  /** A smoke run is too short and too loaded to measure speed: a target it does not reach is information. */
  private final boolean smoke;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();

  Report(boolean smoke) {
    this.smoke = smoke;
  }

  void add(String scenario, String figure, double[] runs, String unit, String target, Boolean met, String load) {
    Row row = new Row(scenario, figure, runs, unit, target, met, load);
    rows.add(row);
    System.out.println("bench: " + scenario + " / " + figure + " = " + format(Samples.median(runs)) + " " + unit
        + " (runs " + spread(runs) + ")" + (target.isEmpty() ? "" : ", target " + target + (met == null ? "" : met ? " met" : smoke ? " not reached in this short smoke run (information, not a failure)"
        : " MISSED")));
  }

  void add(String scenario, String figure, double value, String unit, String target, Boolean met, String load) {
    add(scenario, figure, new double[] {value}, unit, target, met, load);
  }

  void note(String note) {
    notes.add(note);
    System.out.println("bench: note: " + note);
  }

  /** A correctness failure (lost, stuck or wrong calls): the run exits non-zero. */
  void fail(String failure) {
    failures.add(failure);
    System.out.println("bench: FAILED: " + failure);
  }

  List<String> failures() {
    return failures;
  }

  String markdown(String header) {
    StringBuilder out = new StringBuilder(header).append('\n');
    out.append("| scenario | figure | median | spread (min–max) | runs | target | met | load (1 min) |\n");
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (Row r : rows) {
      out.append("| ").append(cell(r.scenario())).append(" | ").append(cell(r.figure())).append(" | ")
          .append(format(Samples.median(r.runs()))).append(r.unit().isEmpty() ? "" : " " + r.unit()).append(" | ")
          .append(r.runs().length > 1 ? spread(r.runs()) : "").append(" | ")
          .append(r.runs().length).append(" | ")
          .append(r.target()).append(" | ")
          .append(r.met() == null ? "" : r.met() ? "yes" : smoke ? "not in smoke (info)" : "**no**").append(" | ")
          .append(r.load()).append(" |\n");
    }
    if (!notes.isEmpty()) {
      out.append('\n');
      notes.forEach(n -> out.append("- ").append(n).append('\n'));
    }
    if (!failures.isEmpty()) {
      out.append("\n**Correctness failures:**\n\n");
      failures.forEach(f -> out.append("- ").append(f).append('\n'));
    }
    return out.toString();
  }

  void write(Path file, String markdown) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, markdown);
  }

  /** A table cell: a '|' in the text would end the cell. */
  private static String cell(String text) {
    return text.replace("|", "\\|");
  }

  static String spread(double[] runs) {
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    for (double r : runs) {
      min = Math.min(min, r);
      max = Math.max(max, r);
    }
    return format(min) + "–" + format(max);
  }

  static String format(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a >= 100 || v == Math.rint(v) && a < 1e15) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
