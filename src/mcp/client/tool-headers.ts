import { type HeaderParam, paramHeaders, scanHeaderParams } from '../param-headers.js';
import type { Tool } from '../types.js';

/** A tool left out of a `tools/list` answer, and why. */
export interface RejectedTool {
  name: string;
  reason: string;
}

/**
 * What the client learned from `tools/list` about each tool's `x-mcp-header` parameters, so
 * that `tools/call` can send the headers. Holds one entry per tool the server listed with
 * at least one header parameter.
 */
export class ToolHeaderIndex {
  readonly #byName = new Map<string, readonly HeaderParam[]>();

  /**
   * Learns one page of tools. With `drop`, tools with invalid annotations are left out of the
   * returned list (the spec's rule for Streamable HTTP clients) and reported in `rejected`.
   */
  learn(tools: readonly Tool[], drop: boolean): { tools: Tool[]; rejected: RejectedTool[] } {
    const kept: Tool[] = [];
    const rejected: RejectedTool[] = [];
    for (const tool of tools) {
      const scan = scanHeaderParams(tool?.inputSchema);
      if (!scan.ok) {
        this.#byName.delete(tool.name);
        if (drop) {
          rejected.push({ name: String(tool?.name), reason: scan.reason });
          continue;
        }
      } else if (scan.params.length > 0) {
        this.#byName.set(tool.name, scan.params);
      } else {
        this.#byName.delete(tool.name);
      }
      kept.push(tool);
    }
    return { tools: kept, rejected };
  }

  /** The `Mcp-Param-*` headers of a call of `name` (undefined when it has none or is unknown). */
  headersFor(name: string, args: Record<string, unknown> | undefined): Record<string, string> | undefined {
    const params = this.#byName.get(name);
    if (params === undefined) return undefined;
    const h = paramHeaders(params, args);
    return Object.keys(h).length > 0 ? h : undefined;
  }
}
