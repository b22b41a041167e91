"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../lib/api";
import { useLiveStoreHandle } from "./Providers";

export function LoginPage() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const live = useLiveStoreHandle();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  async function signIn(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("POST", "/api/session", { password });
      queryClient.clear(); // answers refused before sign-in
      queryClient.setQueryData(["session"], { authenticated: true });
      live.signedIn();
      router.replace("/images");
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "sign-in failed");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="login" onSubmit={signIn}>
      <h1>Precache</h1>
      <label htmlFor="password" className="muted">
        Admin password or API token
      </label>
      <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
      <button type="submit" disabled={isBusy || !password}>
        Sign in
      </button>
      {error && <p className="error" role="alert">{error}</p>}
      <p className="muted">On a laptop, the generated password is printed at start and kept in data/secrets.json.</p>
    </form>
  );
}
