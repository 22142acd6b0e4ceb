"""End-to-end conversation evals: scenarios, a runner over fresh fixtures, judging, reports, gates.

`callcenter eval evals/` runs the shipped suite under several routing policies and writes
report.json / report.md / pareto.png; `callcenter calibrate` tunes the routed policy's
thresholds on the same suite. See docs/evals.md.
"""
