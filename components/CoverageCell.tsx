"use client";
// "cached on X / Y" with its per-group breakdown in a tooltip that hover and keyboard focus
// open (a tap focuses); Esc closes it. The breakdown is the button's accessible description, so it is read out too.
import { useId, useState } from "react";
import type { FleetCoverage, ImageCoverage } from "../lib/image-coverage";
import { plural } from "../lib/plural";

export function CoverageCell({ coverage, fleet }: { coverage: ImageCoverage; fleet: Pick<FleetCoverage, "nodes" | "online"> }) {
  const id = useId();
  const [isHovered, setHovered] = useState(false);
  const [isFocused, setFocused] = useState(false);
  const [isDismissed, setDismissed] = useState(false);
  const isOpen = (isHovered || isFocused) && !isDismissed;
  const offline = fleet.nodes - fleet.online;
  return (
    <span style={{ position: "relative", display: "inline-block" }}>
      <button
        type="button"
        className="secondary"
        style={{ padding: "2px 8px", fontWeight: 400, whiteSpace: "nowrap" }}
        aria-describedby={id}
        data-testid="coverage"
        onMouseEnter={() => setHovered(true)}
        onMouseLeave={() => {
          setHovered(false);
          setDismissed(false);
        }}
        onFocus={() => setFocused(true)}
        onBlur={() => {
          setFocused(false);
          setDismissed(false);
        }}
        onKeyDown={(event) => {
          if (event.key !== "Escape" || !isOpen) return;
          event.stopPropagation();
          setDismissed(true);
        }}
      >
        cached on {coverage.cached} / {fleet.nodes}
      </button>
      <span
        id={id}
        role="tooltip"
        className="tooltip"
        hidden={!isOpen}
        data-testid="coverage-groups"
        style={{ top: "calc(100% + 4px)", left: 0, width: "max-content" }}
      >
        <span style={{ display: "block" }}>
          {coverage.cached} of {plural(fleet.nodes, "registered hypervisor")} hold a verified copy
          {offline > 0 ? ` (${offline} offline)` : ""}.
        </span>
        {coverage.groups.map((group) => (
          <span key={group.group ?? ""} style={{ display: "block" }}>
            {group.group ?? "no group"}: {group.cached} / {group.nodes}
          </span>
        ))}
      </span>
    </span>
  );
}
