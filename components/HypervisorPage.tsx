"use client";
// "What is on hypervisor Y": its images with size, verification and last use, and its group.
import { useQuery } from "@tanstack/react-query";
import { api, formatBytes } from "../lib/api";
import { useImagesQuery } from "../lib/queries";
import { hypervisorReply } from "../protocol/api/hypervisors";
import { AppShell } from "./AppShell";
import { NodeGroupForm } from "./NodeGroupForm";
import { LocalTime } from "./LocalTime";
import { NodeImageActions } from "./NodeImageActions";
import { useLiveStore } from "./Providers";
import { TableScroll } from "./TableScroll";

export function HypervisorPage({ name }: { name: string }) {
  return (
    <AppShell title={name}>
      <Detail name={name} />
    </AppShell>
  );
}

function Detail({ name }: { name: string }) {
  const detail = useQuery({
    queryKey: ["hypervisor", { name }],
    queryFn: async () => (await api("GET", `/api/hypervisors/${encodeURIComponent(name)}`, hypervisorReply)).hypervisor,
    refetchInterval: 5000,
  });
  const images = useImagesQuery();
  const live = useLiveStore();
  if (detail.isPending) return <p className="muted">Loading…</p>;
  if (detail.isError) return <p className="error">{detail.error.message}</p>;
  const h = detail.data;
  const imageOf = (id: string) => images.data?.find((image) => image.id === id);
  // The live header says at once when the agent goes or comes back; the detail is polled.
  const isOnline = live.hypervisors.get(h.name)?.online ?? h.online;
  return (
    <>
      <div className="cards">
        <div className="card">
          <div className="muted">state</div>
          <div className="value">{isOnline ? "online" : "offline"}</div>
        </div>
        <div className="card">
          <div className="muted">group</div>
          <div className="value">{h.group ?? "—"}</div>
        </div>
        <div className="card">
          <div className="muted">free in cache dir</div>
          <div className="value">{formatBytes(h.freeBytes)}</div>
        </div>
        <div className="card">
          <div className="muted">agent</div>
          <div className="value">{h.version ?? "—"}</div>
        </div>
      </div>
      <NodeGroupForm name={h.name} group={h.group} />
      <p className="muted" style={{ overflowWrap: "anywhere" }}>
        cache dir {h.cacheDir ?? "?"} · proxies {h.proxies.length ? h.proxies.join(", ") : "from its group"} · last seen{" "}
        <LocalTime iso={h.lastSeenAt} />
      </p>
      <TableScroll label="Images on this node">
        <table>
          <thead>
            <tr>
              <th>Image</th>
              <th>State</th>
              <th>Size</th>
              <th>Verified</th>
              <th>Last used (mtime)</th>
              <th>Error</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {h.images.map((image) => (
              <tr key={image.imageId} data-testid={`node-image-${image.imageId}`}>
                <td>{imageOf(image.imageId)?.name ?? image.imageId}</td>
                <td>
                  <span className={`badge ${image.state}`}>{image.state}</span>
                </td>
                <td>{formatBytes(image.bytes)}</td>
                <td>{image.verified ? "yes" : "no"}</td>
                <td>{image.lastUsedAt ? <LocalTime iso={image.lastUsedAt} /> : "—"}</td>
                <td className="error" style={{ minWidth: 240 }}>
                  {image.error ?? ""}
                </td>
                <td>
                  <NodeImageActions
                    node={h.name}
                    isOnline={isOnline}
                    entry={{
                      imageId: image.imageId,
                      name: imageOf(image.imageId)?.name ?? image.imageId,
                      bytes: image.bytes,
                      image: imageOf(image.imageId),
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {h.images.length === 0 && <p className="muted">Nothing cached here.</p>}
    </>
  );
}
