"use client";
// A button that says why it cannot act: the reason is its tooltip and its accessible description.
import { useId, type ButtonHTMLAttributes } from "react";

export function ReasonButton({ reason, disabled, ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { reason?: string | null }) {
  const id = useId();
  const why = disabled && reason ? reason : null;
  return (
    <>
      <button type="button" {...props} disabled={disabled} title={why ?? props.title} aria-describedby={why ? id : undefined} />
      {why && (
        <span id={id} className="visually-hidden">
          {why}
        </span>
      )}
    </>
  );
}

/** The first reason that applies, or null: [[condition, "why"], …]. */
export function firstReason(...checks: [boolean, string | undefined][]): string | null {
  for (const [applies, reason] of checks) if (applies) return reason ?? null;
  return null;
}
