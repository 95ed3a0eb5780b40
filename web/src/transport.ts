// The gRPC-Web transport to a Stepwise server, shared by the dashboard and
// the end-to-end test's seeding (Node's fetch speaks it too).

import { type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

/** How long a unary call may take before it fails with DEADLINE_EXCEEDED. */
export const CALL_TIMEOUT_MS = 20_000;

/**
 * A gRPC-Web transport to `baseUrl` that sends `authorization: Bearer
 * <token>` with every call while `token()` returns one.
 */
export function stepwiseTransport(baseUrl: string, token: () => string | null): Transport {
  const bearer: Interceptor = (next) => async (request) => {
    const value = token();
    if (value) request.header.set("authorization", `Bearer ${value}`);
    return await next(request);
  };
  return createGrpcWebTransport({
    baseUrl,
    useBinaryFormat: true,
    defaultTimeoutMs: CALL_TIMEOUT_MS,
    interceptors: [bearer],
  });
}
