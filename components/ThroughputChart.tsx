"use client";
// Delivered bytes per second over time: an SVG line with a time axis, a rate axis in bytes per
// second, and the value under the pointer.
import { useState } from "react";
import { formatBytes } from "../lib/api";

export type Sample = { at: number; bytes: number };

const WIDTH = 640;
const HEIGHT = 160;
const LEFT = 72;
const BOTTOM = 22;
const TOP = 8;

export function ThroughputChart({ samples, emptyText }: { samples: Sample[]; emptyText?: string }) {
  const [hover, setHover] = useState<number | null>(null);
  const rates = samples.slice(1).map((sample, index) => ({
    at: sample.at,
    rate: Math.max(0, (sample.bytes - samples[index].bytes) / Math.max(0.001, (sample.at - samples[index].at) / 1000)),
  }));
  if (rates.length < 2) return <p className="muted">{emptyText ?? "Collecting throughput…"}</p>;
  const max = Math.max(...rates.map((r) => r.rate), 1);
  const t0 = rates[0].at;
  const span = Math.max(1, rates[rates.length - 1].at - t0);
  const x = (at: number) => LEFT + ((at - t0) / span) * (WIDTH - LEFT - 8);
  const y = (rate: number) => HEIGHT - BOTTOM - (rate / max) * (HEIGHT - BOTTOM - TOP);
  const points = rates.map((r) => `${x(r.at)},${y(r.rate)}`).join(" ");
  const clock = (at: number) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const ticks = [0, 0.5, 1].map((share) => t0 + share * span);
  const point = hover === null ? null : rates[hover];
  return (
    <figure style={{ margin: 0 }}>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        height={HEIGHT}
        role="img"
        aria-label={`throughput over the last ${Math.round(span / 1000)} s, peak ${formatBytes(max)}/s`}
        style={{ background: "var(--panel)", border: "1px solid var(--line)" }}
        onMouseLeave={() => setHover(null)}
        onMouseMove={(event) => {
          const box = event.currentTarget.getBoundingClientRect();
          const at = t0 + ((((event.clientX - box.left) / box.width) * WIDTH - LEFT) / (WIDTH - LEFT - 8)) * span;
          let nearest = 0;
          for (let index = 1; index < rates.length; index++)
            if (Math.abs(rates[index].at - at) < Math.abs(rates[nearest].at - at)) nearest = index;
          setHover(nearest);
        }}
      >
        <line x1={LEFT} y1={TOP} x2={LEFT} y2={HEIGHT - BOTTOM} stroke="var(--line)" />
        <line x1={LEFT} y1={HEIGHT - BOTTOM} x2={WIDTH - 8} y2={HEIGHT - BOTTOM} stroke="var(--line)" />
        {[0, 0.5, 1].map((share) => (
          <text key={share} x={LEFT - 6} y={y(max * share) + 4} textAnchor="end" fontSize={11} fill="var(--muted)">
            {formatBytes(max * share)}/s
          </text>
        ))}
        {ticks.map((at, index) => (
          <text
            key={at}
            x={x(at)}
            y={HEIGHT - 6}
            textAnchor={index === 0 ? "start" : index === 2 ? "end" : "middle"}
            fontSize={11}
            fill="var(--muted)"
          >
            {clock(at)}
          </text>
        ))}
        <polyline points={points} fill="none" stroke="#4aa3ff" strokeWidth={2} />
        {point && (
          <>
            <line x1={x(point.at)} y1={TOP} x2={x(point.at)} y2={HEIGHT - BOTTOM} stroke="var(--muted)" strokeDasharray="3 3" />
            <circle cx={x(point.at)} cy={y(point.rate)} r={3} fill="#4aa3ff" />
          </>
        )}
      </svg>
      <figcaption className="muted" data-testid="throughput-caption">
        {point
          ? `${clock(point.at)}: ${formatBytes(point.rate)}/s`
          : `now ${formatBytes(rates[rates.length - 1].rate)}/s · peak ${formatBytes(max)}/s`}{" "}
        (decompressed bytes written on hypervisors per second)
      </figcaption>
    </figure>
  );
}
