// A wait on a server child process that died fails at once, with what the process printed,
// instead of polling a closed port until the timeout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "./support/server-process.ts";
import { StopWaiting, waitFor } from "./support/test-server.ts";

describe("waiting on a server process", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ vars: { LOG_LEVEL: "info" } });
  });
  afterAll(() => server?.stop());

  it("fails at once with the process's output when it crashed, and not after kill()", async () => {
    expect((await server.api("GET", "/api/health")).status).toBe(200);
    process.kill(server.pid(), "SIGKILL"); // a crash: not through server.kill()
    const started = Date.now();
    const waited = waitFor("an answer from a crashed server", async () => (await server.api("GET", "/api/images")).body, 20_000);
    await expect(waited).rejects.toBeInstanceOf(StopWaiting);
    await expect(waited).rejects.toThrow(/server process exited \(SIGKILL\):\n[\s\S]*\(started\) http:\/\/127\.0\.0\.1:/);
    expect(Date.now() - started).toBeLessThan(5000);

    await server.restart();
    await server.kill(); // the test's own doing: plain connection errors, no StopWaiting
    expect(() => server.assertRunning()).not.toThrow();
    await expect(server.api("GET", "/api/images")).rejects.not.toBeInstanceOf(StopWaiting);
  });
});
