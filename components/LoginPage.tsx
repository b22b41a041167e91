"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../lib/api";
import { safeReturnPath } from "../lib/return-path";
import { type SignInRequest, sessionInfo } from "../protocol/api/access";
import { useLiveStoreHandle } from "./Providers";

export function LoginPage() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const live = useLiveStoreHandle();
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [domain, setDomain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  async function signIn(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api("POST", "/api/session", sessionInfo, {
        username: username.trim() || "admin",
        password,
        ...(domain.trim() ? { domain: domain.trim() } : {}),
      } satisfies SignInRequest);
      queryClient.clear(); // answers refused before sign-in
      queryClient.setQueryData(["session"], session);
      live.signedIn();
      router.replace(safeReturnPath(new URLSearchParams(window.location.search).get("next")));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "sign-in failed");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="login" onSubmit={signIn}>
      <h1>Precache</h1>
      <label htmlFor="username" className="muted">
        User (a Precache account, or your OpenStack user)
      </label>
      <input id="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
      <label htmlFor="password" className="muted">
        Password (for admin: the admin password or API token)
      </label>
      <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <details>
        <summary className="muted">OpenStack domain</summary>
        <input id="domain" placeholder="Default" value={domain} onChange={(e) => setDomain(e.target.value)} />
      </details>
      <button type="submit" disabled={isBusy || !password}>
        Sign in
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <p className="muted">On a laptop, the generated admin password is printed at start and kept in data/secrets.json.</p>
    </form>
  );
}
