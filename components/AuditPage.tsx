"use client";
// Who did what, when, from where, to what, and how it ended: the audit trail, newest first.
import { useState, type FormEvent } from "react";
import { localInputToIso } from "../lib/format-local-time";
import { LocalTime } from "./LocalTime";
import { useAuditQuery, type AuditEventRow, type AuditFilters } from "../lib/queries";
import { AppShell } from "./AppShell";
import { outcomeStyle } from "./outcome-colors";
import { TableScroll } from "./TableScroll";

type FilterForm = { actor: string; action: string; imageId: string; outcome: string; from: string; to: string };
const emptyForm: FilterForm = { actor: "", action: "", imageId: "", outcome: "", from: "", to: "" };

export function AuditPage() {
  const [form, setForm] = useState<FilterForm>(emptyForm);
  const [filters, setFilters] = useState<AuditFilters>({});
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({
      actor: form.actor.trim() || undefined,
      action: form.action.trim() || undefined,
      imageId: form.imageId.trim() || undefined,
      outcome: form.outcome || undefined,
      from: localInputToIso(form.from),
      to: localInputToIso(form.to),
    });
  };
  const field = (name: keyof FilterForm) => ({
    id: `audit-${name}`,
    value: form[name],
    onChange: (event: { target: { value: string } }) => setForm((current) => ({ ...current, [name]: event.target.value })),
  });
  return (
    <AppShell title="Audit">
      <form className="row" onSubmit={apply} style={{ marginBottom: 12 }} aria-label="Audit filters">
        <label htmlFor="audit-actor">User</label>
        <input {...field("actor")} placeholder="admin, token:…, agent:…" />
        <label htmlFor="audit-action">Action</label>
        <input {...field("action")} placeholder="rollout.create or rollout." />
        <label htmlFor="audit-imageId">Image</label>
        <input {...field("imageId")} placeholder="image id" />
        <label htmlFor="audit-outcome">Outcome</label>
        <select {...field("outcome")}>
          <option value="">any</option>
          <option value="ok">ok</option>
          <option value="denied">denied</option>
          <option value="failed">failed</option>
        </select>
        <label htmlFor="audit-from">From</label>
        <input type="datetime-local" step={1} {...field("from")} />
        <label htmlFor="audit-to">To</label>
        <input type="datetime-local" step={1} {...field("to")} />
        <button type="submit">Filter</button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setForm(emptyForm);
            setFilters({});
          }}
        >
          Clear
        </button>
      </form>
      <AuditTable filters={filters} />
    </AppShell>
  );
}

function AuditTable({ filters }: { filters: AuditFilters }) {
  const audit = useAuditQuery(filters);
  if (audit.isPending) return <p className="muted">Loading…</p>;
  if (audit.isError)
    return (
      <p className="error" role="alert">
        {audit.error.message}
      </p>
    );
  const events = audit.data.pages.flatMap((page) => page.events);
  return (
    <>
      <TableScroll label="Audit events" asCards>
        <table>
          <thead>
            <tr>
              <th>Time</th>
              <th>User</th>
              <th>From</th>
              <th>Action</th>
              <th>Target</th>
              <th>Image</th>
              <th>Outcome</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <AuditRow key={event.id} event={event} />
            ))}
          </tbody>
        </table>
      </TableScroll>
      {events.length === 0 && <p className="muted">No events match.</p>}
      {audit.hasNextPage && (
        <p>
          <button type="button" className="secondary" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
            {audit.isFetchingNextPage ? "Loading…" : "Load older"}
          </button>
        </p>
      )}
    </>
  );
}

function AuditRow({ event }: { event: AuditEventRow }) {
  const detail = event.detail == null ? "" : JSON.stringify(event.detail);
  return (
    <tr data-testid={`audit-${event.id}`}>
      <td data-label="Time">
        <LocalTime iso={event.at} />
      </td>
      <td data-label="User" data-testid="audit-actor">
        {event.actor}
      </td>
      <td data-label="From" className="muted">
        {event.address ?? "—"}
      </td>
      <td data-label="Action" data-testid="audit-action">
        {event.action}
      </td>
      <td data-label="Target" data-testid="audit-target" style={{ wordBreak: "break-all" }}>
        {event.target ?? "—"}
      </td>
      <td data-label="Image" style={{ wordBreak: "break-all" }}>
        {event.imageId ?? "—"}
      </td>
      <td data-label="Outcome">
        <span className="badge" data-testid="audit-outcome" style={outcomeStyle(event.outcome)}>
          {event.outcome}
        </span>
      </td>
      <td data-label="Detail" className="muted" style={{ fontSize: 12, maxWidth: 320, wordBreak: "break-word" }}>
        {detail}
      </td>
    </tr>
  );
}
