#!/usr/bin/env python3
"""Copies a results file (default bench/results/latest.md) into docs/PERFORMANCE.md between the bench markers
(the README keeps a summary and links there)."""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parents[2]
results = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "bench/results/latest.md"
text = results.read_text().strip().replace("## Benchmark results\n", "", 1).strip()
readme = root / "docs" / "PERFORMANCE.md"
body = readme.read_text()
new, n = re.subn(r"<!-- bench:start -->.*?<!-- bench:end -->",
                 lambda m: "<!-- bench:start -->\n" + text + "\n<!-- bench:end -->", body, flags=re.S)
if n != 1:
    sys.exit("docs/PERFORMANCE.md has no <!-- bench:start --> ... <!-- bench:end --> block")
readme.write_text(new)
print(f"docs/PERFORMANCE.md: results from {results.relative_to(root)}")
