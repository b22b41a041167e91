"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from "react";
import { LiveStore } from "../lib/live-state";
import { ToastProvider } from "./Toasts";

const LiveContext = createContext<LiveStore | null>(null);

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } }));
  const [live] = useState(() => new LiveStore(queryClient));
  return (
    <QueryClientProvider client={queryClient}>
      <LiveContext.Provider value={live}>
        <ToastProvider>{children}</ToastProvider>
      </LiveContext.Provider>
    </QueryClientProvider>
  );
}

/** The live store without connecting it or re-rendering on its changes (e.g. for the sign-in page). */
export function useLiveStoreHandle(): LiveStore {
  const live = useContext(LiveContext);
  if (!live) throw new Error("useLiveStore outside Providers");
  return live;
}

/** The live store, connected while a signed-in page is mounted; re-renders on every merged delta. */
export function useLiveStore(): LiveStore {
  const live = useLiveStoreHandle();
  useEffect(() => live.connect(), [live]);
  useSyncExternalStore(live.subscribe, live.getVersion, live.getVersion);
  return live;
}
