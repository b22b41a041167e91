// The server's REST API from inside the core namespace (curl run there): the host's own network
// never carries testbed traffic.
import { execFile } from "node:child_process";

export type TestbedImage = { id: string; name: string; size: number; artifact: { state: string; error?: string | null } | null };

export class TestbedApi {
  constructor(
    private readonly ns: string,
    readonly url: string,
    private readonly token: string,
  ) {}

  /** JSON body of a 2xx answer; anything else throws with the status and body. */
  async call<T = any>(method: string, route: string, body?: unknown): Promise<T> {
    const args = ["netns", "exec", this.ns, "curl", "-sS", "--max-time", "30", "-X", method, "-w", "\n%{http_code}"];
    args.push("-H", `authorization: Bearer ${this.token}`, "-H", "content-type: application/json");
    if (body !== undefined) args.push("--data-binary", JSON.stringify(body));
    args.push(`${this.url}${route}`);
    const output = await new Promise<string>((resolve, reject) =>
      execFile("ip", args, { maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${method} ${route}: ${stderr || error.message}`)) : resolve(stdout),
      ),
    );
    const split = output.lastIndexOf("\n");
    const status = Number(output.slice(split + 1));
    const text = output.slice(0, split);
    if (status < 200 || status >= 300) throw new Error(`${method} ${route}: ${status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.call("GET", "/api/health");
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(250);
      }
    }
  }

  async imageByName(name: string): Promise<TestbedImage | null> {
    const { images } = await this.call<{ images: TestbedImage[] }>("GET", "/api/images");
    return images.find((image) => image.name === name) ?? null;
  }

  async waitForAgents(count: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { hypervisors } = await this.call<{ hypervisors: { online: boolean }[] }>("GET", "/api/hypervisors");
      const online = hypervisors.filter((hypervisor) => hypervisor.online).length;
      if (online >= count) return;
      if (Date.now() > deadline) throw new Error(`only ${online} of ${count} agents connected within ${timeoutMs / 1000} s`);
      await sleep(500);
    }
  }

  /** Publishes an image and waits for its artifact. */
  async publish(imageId: string, timeoutMs = 600_000): Promise<void> {
    await this.call("POST", `/api/images/${imageId}/publish`, { level: 1 });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { image } = await this.call<{ image: TestbedImage }>("GET", `/api/images/${imageId}`);
      if (image.artifact?.state === "ready") return;
      if (image.artifact?.state === "failed") throw new Error(`publish of ${imageId} failed: ${image.artifact.error}`);
      if (Date.now() > deadline) throw new Error(`publish of ${imageId} took over ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
