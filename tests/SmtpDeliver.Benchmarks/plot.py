#!/usr/bin/env python3
"""Plots the e2e runner's CSV as an SVG (stdlib only):
   python3 tests/SmtpDeliver.Benchmarks/plot.py artifacts/benchmarks/e2e.csv docs/benchmarks-throughput.svg
Left: MB/s against message size (reused connection, plain, 1 rcpt) per client.
Right: msgs/s against deliveries in parallel (the Deliverer queue path, 1 KB), with and without connection reuse."""
import csv, math, sys

rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
out = sys.argv[2] if len(sys.argv) > 2 else "docs/benchmarks-throughput.svg"
colors = ["#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
W, H, M = 460, 320, 60
svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (2 * W + 20, H + 40),
       '<rect width="100%" height="100%" fill="white"/>']

def panel(ox, title, xlabel, ylabel, series):
    pts = [p for s in series.values() for p in s if p[1] > 0]
    if not pts:
        return
    xs = [math.log10(p[0]) for p in pts]; ys = [math.log10(p[1]) for p in pts]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs)); y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    x1 = x1 if x1 > x0 else x0 + 1; y1 = y1 if y1 > y0 else y0 + 1
    px = lambda v: ox + M + (math.log10(v) - x0) / (x1 - x0) * (W - M - 20)
    py = lambda v: H - M + 20 - (math.log10(v) - y0) / (y1 - y0) * (H - M - 20)
    svg.append('<text x="%d" y="16" font-size="13" font-weight="bold">%s</text>' % (ox + M, title))
    for e in range(x0, x1 + 1):
        x = ox + M + (e - x0) / (x1 - x0) * (W - M - 20)
        svg.append('<line x1="%.1f" y1="30" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%g</text>' % (x, x, H - M + 20, x, H - M + 34, 10 ** e))
    for e in range(y0, y1 + 1):
        y = H - M + 20 - (e - y0) / (y1 - y0) * (H - M - 20)
        svg.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%g</text>' % (ox + M, y, ox + W - 20, y, ox + M - 4, y + 4, 10 ** e))
    svg.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % (ox + M + (W - M) / 2, H - M + 50, xlabel))
    svg.append('<text x="%d" y="%d" transform="rotate(-90 %d %d)" text-anchor="middle">%s</text>' % (ox + 14, H / 2, ox + 14, H / 2, ylabel))
    for i, (name, s) in enumerate(series.items()):
        s = sorted(p for p in s if p[1] > 0)
        c = colors[i % len(colors)]
        svg.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (c, " ".join("%.1f,%.1f" % (px(x), py(y)) for x, y in s)))
        for x, y in s:
            svg.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (px(x), py(y), c))
        svg.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>' % (ox + W - 190, 34 + 14 * i, c, ox + W - 176, 43 + 14 * i, name))

size = {}
for r in rows:
    if r["group"] == "size" and r["verified"] == "True":
        size.setdefault(r["client"], []).append((float(r["x"]), float(r["mb_per_s"])))
panel(0, "Throughput against message size (plain)", "message size, bytes", "MB/s", size)
conc = {}
for r in rows:
    if r["group"].startswith("deliverer") and r["verified"] == "True":
        name = "Deliverer " + ("STARTTLS" if "STARTTLS" in r["group"] else "plain") + (", reuse off" if "noreuse" in r["group"] else "")
        conc.setdefault(name, []).append((float(r["x"]), float(r["msgs_per_s"])))
panel(W + 20, "Queue path against concurrency (1 KB)", "deliveries in parallel", "msgs/s", conc)
svg.append("</svg>")
open(out, "w", encoding="utf-8").write("\n".join(svg) + "\n")
print("wrote", out)
