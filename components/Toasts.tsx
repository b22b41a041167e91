"use client";
// Short-lived results ("freed 32.0 MiB", "Re-read image source: 3 images") and errors, read out by
// screen readers through one live region that is always in the page (a region added together
// with its text is often not announced).
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

type Toast = { id: number; text: string; isError: boolean };
type Show = (text: string, options?: { isError?: boolean }) => void;

const ToastContext = createContext<Show | null>(null);
const SHOWN_FOR_MS = 8000;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((toast) => toast.id !== id)), []);
  const show = useCallback<Show>(
    (text, options) => {
      const id = Date.now() + Math.random();
      setToasts((all) => [...all.slice(-3), { id, text, isError: options?.isError ?? false }]);
      setTimeout(() => dismiss(id), SHOWN_FOR_MS);
    },
    [dismiss],
  );
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
        {toasts.map((toast) => (
          <div key={toast.id} className={toast.isError ? "toast error" : "toast"}>
            <span>{toast.text}</span>
            <button type="button" className="secondary" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

/** Shows a toast; outside the provider (tests of a lone component) it does nothing. */
export function useToast(): Show {
  return useContext(ToastContext) ?? noToast;
}

const noToast: Show = () => {};
