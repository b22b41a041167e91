import Link from "next/link";

export const metadata = { title: "Not found · Precache" };

export default function NotFound() {
  return (
    <main className="not-found" data-testid="not-found">
      <h1>Page not found</h1>
      <p className="muted">Nothing lives at this address. It may have been a rollout or hypervisor that no longer exists.</p>
      <p className="row" style={{ justifyContent: "center", gap: 16 }}>
        <Link href="/images">Images</Link>
        <Link href="/rollouts">Rollouts</Link>
        <Link href="/hypervisors">Hypervisors</Link>
      </p>
    </main>
  );
}
