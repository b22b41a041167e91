"use client";
// Delivered bytes per second over time, as a small SVG line.
import { formatBytes } from "../lib/api";

export type Sample = { at: number; bytes: number };

export function ThroughputChart({ samples }: { samples: Sample[] }) {
  const rates = samples.slice(1).map((sample, index) => ({
    at: sample.at,
    rate: Math.max(0, (sample.bytes - samples[index].bytes) / ((sample.at - samples[index].at) / 1000)),
  }));
  if (rates.length < 2) return <p className="muted">Collecting throughput…</p>;
  const width = 600;
  const height = 120;
  const max = Math.max(...rates.map((r) => r.rate), 1);
  const t0 = rates[0].at;
  const span = Math.max(1, rates[rates.length - 1].at - t0);
  const points = rates.map((r) => `${((r.at - t0) / span) * width},${height - (r.rate / max) * (height - 10)}`).join(" ");
  return (
    <figure style={{ margin: 0 }}>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        height={height}
        role="img"
        aria-label="throughput over time"
        style={{ background: "var(--panel)", border: "1px solid var(--line)" }}
      >
        <polyline points={points} fill="none" stroke="#4aa3ff" strokeWidth={2} />
      </svg>
      <figcaption className="muted">
        now {formatBytes(rates[rates.length - 1].rate)}/s · peak {formatBytes(max)}/s (decompressed bytes written on hypervisors)
      </figcaption>
    </figure>
  );
}
